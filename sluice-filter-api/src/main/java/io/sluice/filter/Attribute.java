package io.sluice.filter;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The key of a per-exchange value ({@link Exchange#attribute}). Create each key once, as a
 * constant: a key is an index into a small array, so reading and writing cost no hashing.
 *
 * <pre>{@code
 * static final Attribute<String> TENANT = Attribute.of("tenant");
 * }</pre>
 */
public final class Attribute<T> {
  private static final AtomicInteger NEXT = new AtomicInteger();

  private final String name;
  private final int index;

  private Attribute(String name) {
    this.name = Objects.requireNonNull(name, "name");
    this.index = NEXT.getAndIncrement();
  }

  /** A new key; two calls with the same name give two different keys. */
  public static <T> Attribute<T> of(String name) {
    return new Attribute<>(name);
  }

  public String name() {
    return name;
  }

  /** The key's slot in an exchange's attribute array. */
  public int index() {
    return index;
  }

  @Override
  public String toString() {
    return name;
  }
}
