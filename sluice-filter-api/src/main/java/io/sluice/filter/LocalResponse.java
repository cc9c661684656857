package io.sluice.filter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A response the gateway sends itself on a filter's behalf: status, headers, body. Immutable; the
 * status line and headers are encoded once, when it is built, so a response a filter builds when it
 * is created and returns again and again costs no encoding per request. Content-Length and
 * Connection are written by the gateway.
 *
 * <pre>{@code
 * LocalResponse r = LocalResponse.builder(403)
 *     .header("X-Reason", "geo")
 *     .body("text/plain; charset=utf-8", "not here\n")
 *     .build();
 * }</pre>
 */
public final class LocalResponse {
  private final int status;
  private final String[] names;
  private final String[] values;
  private final byte[] body;
  private final byte[] head;

  private LocalResponse(int status, List<String> names, List<String> values, byte[] body) {
    this.status = status;
    this.names = names.toArray(String[]::new);
    this.values = values.toArray(String[]::new);
    this.body = body;
    StringBuilder h = new StringBuilder(64 + 32 * this.names.length);
    h.append("HTTP/1.1 ").append(status).append(' ').append(ReasonPhrases.of(status)).append("\r\n");
    for (int i = 0; i < this.names.length; i++) h.append(this.names[i]).append(": ").append(this.values[i]).append("\r\n");
    this.head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A builder for a response with {@code status} (200 to 599). */
  public static Builder builder(int status) {
    return new Builder(status);
  }

  /**
   * An error in the gateway's own format (README, "Errors made by the gateway"): a JSON body
   * {@code {"status":401,"reason":"unauthorized","message":"..."}} and {@code X-Sluice-Reason: unauthorized}.
   *
   * @param reason a short code in snake case, for clients, logs and metrics
   */
  public static LocalResponse error(int status, String reason, String message) {
    StringBuilder body = new StringBuilder(96);
    body.append("{\"status\":").append(status).append(",\"reason\":");
    Json.appendString(body, reason);
    body.append(",\"message\":");
    Json.appendString(body, message);
    body.append("}\n");
    return builder(status)
        .header("Content-Type", "application/json")
        .header("X-Sluice-Reason", reason)
        .body(body.toString().getBytes(StandardCharsets.UTF_8))
        .build();
  }

  public int status() {
    return status;
  }

  public int headerCount() {
    return names.length;
  }

  public String headerName(int i) {
    return names[i];
  }

  public String headerValue(int i) {
    return values[i];
  }

  /** The first value of a header (case-insensitive), or null. */
  public @Nullable String header(String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equalsIgnoreCase(name)) return values[i];
    }
    return null;
  }

  /** The body; do not modify the array. */
  public byte[] body() {
    return body;
  }

  /** The status line and headers, encoded: {@code HTTP/1.1 401 Unauthorized\r\nName: value\r\n...}. */
  public byte[] encodedHead() {
    return head;
  }

  /** A builder starting from this response. */
  public Builder toBuilder() {
    Builder b = new Builder(status);
    b.names.addAll(Arrays.asList(names));
    b.values.addAll(Arrays.asList(values));
    b.body = body;
    return b;
  }

  @Override
  public String toString() {
    return "LocalResponse[" + status + ", " + names.length + " headers, " + body.length + " bytes]";
  }

  /** Builds a {@link LocalResponse}; not thread-safe. */
  public static final class Builder {
    private final int status;
    private final List<String> names = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private byte[] body = new byte[0];

    private Builder(int status) {
      if (status < 200 || status > 599) throw new IllegalArgumentException("status must be 200 to 599, got " + status);
      this.status = status;
    }

    /**
     * Adds a header.
     *
     * @throws IllegalArgumentException on an invalid name or value, or a field the gateway writes
     *     (Content-Length, Transfer-Encoding, Connection, ...)
     */
    public Builder header(String name, String value) {
      HeaderRules.check(name, value, true);
      names.add(name);
      values.add(value);
      return this;
    }

    /** Adds each header of {@code headers}, in iteration order. */
    public Builder headers(Map<String, String> headers) {
      headers.forEach(this::header);
      return this;
    }

    /** Sets the body and a Content-Type header. */
    public Builder body(String contentType, String text) {
      header("Content-Type", contentType);
      return body(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sets the body (no Content-Type is added). */
    public Builder body(byte[] bytes) {
      this.body = bytes.clone();
      return this;
    }

    public LocalResponse build() {
      if ((status == 204 || status == 304) && body.length > 0) {
        throw new IllegalArgumentException("a " + status + " response has no body");
      }
      return new LocalResponse(status, names, values, body);
    }
  }
}
