package io.sluice.filter;

import java.util.List;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Header fields of a request or response, with edits. Names compare case-insensitively; a name
 * that is set or added is written as given.
 *
 * <p>Threading: see {@link Exchange}.
 */
public interface Headers {
  /** The first value of the field, or null when there is none. */
  @Nullable String get(String name);

  /** Every value of the field, in order; empty when there is none. */
  List<String> getAll(String name);

  boolean contains(String name);

  /**
   * Replaces every field of that name with one.
   *
   * @throws IllegalArgumentException when {@code name} is not a token or {@code value} holds a
   *     control character (CR, LF, NUL, ...), or the field is one the gateway writes itself
   */
  void set(String name, String value);

  /** Adds a field, after those already there; throws like {@link #set}. */
  void add(String name, String value);

  /** Removes every field of that name; throws like {@link #set} for fields the gateway writes itself. */
  void remove(String name);

  /** Calls {@code action} with each field's name and value, in the order they will be written. */
  void forEach(BiConsumer<String, String> action);
}
