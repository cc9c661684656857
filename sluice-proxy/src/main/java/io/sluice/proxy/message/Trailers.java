package io.sluice.proxy.message;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The trailer fields that end a message's body (the header section after the body: HTTP/1.1's
 * last chunk, HTTP/2's closing HEADERS frame), protocol-neutral, with lower-case names. gRPC
 * carries its status in them ({@code grpc-status}, {@code grpc-message}).
 *
 * <p>Not thread-safe: built and read on one event loop.
 */
public final class Trailers {
  /** Names (lower-case) and values, interleaved. */
  private final List<String> fields = new ArrayList<>(4);

  /** Adds a field; {@code name} is lower-cased. */
  public Trailers add(CharSequence name, CharSequence value) {
    fields.add(name.toString().toLowerCase(Locale.ROOT));
    fields.add(value.toString());
    return this;
  }

  public int count() {
    return fields.size() / 2;
  }

  public boolean isEmpty() {
    return fields.isEmpty();
  }

  /** The lower-case name of field {@code i}. */
  public String name(int i) {
    return fields.get(2 * i);
  }

  public String value(int i) {
    return fields.get(2 * i + 1);
  }

  /** The first value of the field named {@code lowerCaseName}, or null. */
  public @org.jspecify.annotations.Nullable String get(String lowerCaseName) {
    for (int i = 0; i < fields.size(); i += 2) {
      if (fields.get(i).equals(lowerCaseName)) return fields.get(i + 1);
    }
    return null;
  }

  /**
   * Whether a field of this name may travel as a trailer: not a pseudo-header, and none of the
   * fields that frame, route or belong to one hop (RFC 9110 §6.5.1).
   */
  public static boolean allowed(String lowerCaseName) {
    if (lowerCaseName.isEmpty() || lowerCaseName.charAt(0) == ':') return false;
    return switch (lowerCaseName) {
      case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "host",
          "content-length", "content-type", "content-encoding", "trailer" -> false;
      default -> true;
    };
  }
}
