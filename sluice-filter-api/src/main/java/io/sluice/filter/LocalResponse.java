package io.sluice.filter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A response the gateway sends itself on a filter's behalf: status, header fields (name/value pairs,
 * in order) and body, and nothing of a wire format: the gateway encodes it for the client's protocol
 * when it sends it, and writes Content-Length and Connection itself. Immutable and thread-safe, so
 * a filter can build the responses it returns often (its rejection, say) once, when it is created.
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

  private LocalResponse(int status, List<String> names, List<String> values, byte[] body) {
    this.status = status;
    this.names = names.toArray(String[]::new);
    this.values = values.toArray(String[]::new);
    this.body = body;
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

  /** The number of header fields. */
  public int headerCount() {
    return names.length;
  }

  /** The name of the {@code i}th field, as it was added. */
  public String headerName(int i) {
    return names[i];
  }

  /** The value of the {@code i}th field. */
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
