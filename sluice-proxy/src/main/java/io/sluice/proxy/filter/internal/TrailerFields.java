package io.sluice.proxy.filter.internal;

import io.sluice.filter.HeaderRules;
import io.sluice.filter.Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The trailer fields of a streamed body: those received after a chunked body, with the edits of
 * the streaming filters ({@link io.sluice.filter.BodyChunk#trailers()}). Edits are checked like
 * header edits ({@link HeaderRules}), so framing, routing and hop-by-hop fields cannot be set.
 * Reused per direction of a connection; {@link #clear()} between bodies.
 *
 * <p>Threading: the connection's event loop only.
 */
public final class TrailerFields implements Headers {
  private final boolean response;
  /** Names as given and values, interleaved: name0, value0, name1, value1, ... */
  private final ArrayList<String> fields = new ArrayList<>();

  /** @param response true for a response's trailers (checked as response fields), false for a request's */
  public TrailerFields(boolean response) {
    this.response = response;
  }

  /** Adds a received field, unchecked: the codec validated its syntax. */
  public void received(String name, String value) {
    fields.add(name);
    fields.add(value);
  }

  public void clear() {
    fields.clear();
  }

  public boolean isEmpty() {
    return fields.isEmpty();
  }

  public int size() {
    return fields.size() / 2;
  }

  public String name(int i) {
    return fields.get(2 * i);
  }

  public String value(int i) {
    return fields.get(2 * i + 1);
  }

  @Override
  public @Nullable String get(String name) {
    for (int i = 0; i < fields.size(); i += 2) {
      if (fields.get(i).equalsIgnoreCase(name)) return fields.get(i + 1);
    }
    return null;
  }

  @Override
  public List<String> getAll(String name) {
    List<String> all = new ArrayList<>(1);
    for (int i = 0; i < fields.size(); i += 2) {
      if (fields.get(i).equalsIgnoreCase(name)) all.add(fields.get(i + 1));
    }
    return List.copyOf(all);
  }

  @Override
  public boolean contains(String name) {
    return get(name) != null;
  }

  @Override
  public void set(String name, String value) {
    check(name, value);
    removeAll(name);
    received(name, value);
  }

  @Override
  public void add(String name, String value) {
    check(name, value);
    received(name, value);
  }

  @Override
  public void remove(String name) {
    HeaderRules.checkName(name, response);
    checkNotHost(name);
    removeAll(name);
  }

  @Override
  public void forEach(BiConsumer<String, String> action) {
    for (int i = 0; i < fields.size(); i += 2) action.accept(fields.get(i), fields.get(i + 1));
  }

  private void check(String name, String value) {
    HeaderRules.check(name, value, response);
    checkNotHost(name);
  }

  /** Host routes a request; a response's Host field is allowed as a header, never as a trailer. */
  private static void checkNotHost(String name) {
    if (name.toLowerCase(Locale.ROOT).equals("host")) {
      throw new IllegalArgumentException("trailer Host: Host routes the message and cannot be a trailer field");
    }
  }

  private void removeAll(String name) {
    for (int i = fields.size() - 2; i >= 0; i -= 2) {
      if (fields.get(i).equalsIgnoreCase(name)) {
        fields.remove(i + 1);
        fields.remove(i);
      }
    }
  }
}
