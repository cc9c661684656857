package io.sluice.filter;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request a filter sends to an Upstream of the running configuration through the data plane
 * ({@link UpstreamCalls#call}): method, path (with its query), header fields, body, the most
 * response body bytes it takes, and an optional deadline over all its attempts. Immutable and
 * thread-safe, so a filter can build the parts that never change once, when it is created.
 *
 * <pre>{@code
 * UpstreamCall call = UpstreamCall.to("auth")
 *     .method("POST").path("/check")
 *     .header("Content-Type", "application/json")
 *     .body("{\"user\":\"ada\"}".getBytes(StandardCharsets.UTF_8))
 *     .maxResponseBody(16 * 1024)
 *     .build();
 * }</pre>
 *
 * @param upstream the Upstream's name; the factory must declare it in {@link FilterFactory#references}
 * @param method a token such as {@code GET}
 * @param path the request target: starts with {@code /}, may carry {@code ?query}, no spaces or control characters
 * @param headers the fields to send, in order; the gateway adds Host (the endpoint's
 *     {@code host:port}, unless {@code authority} is set), Content-Length and Connection itself
 * @param authority the Host to send, or null for the endpoint's address
 * @param body the request body (empty: none); do not modify the array
 * @param maxResponseBody the most response body bytes taken; a longer body fails the call
 *     ({@link UpstreamCallException.Failure#BODY_TOO_LARGE})
 * @param timeout a deadline over all attempts, or null for the Upstream's own timeouts only; each
 *     attempt also has the Upstream's {@code timeouts.response}
 */
public record UpstreamCall(String upstream, String method, String path, List<Header> headers,
    @Nullable String authority, byte[] body, long maxResponseBody, @Nullable Duration timeout) {
  /** What {@link Builder#maxResponseBody} is unless set: 1 MiB. */
  public static final long DEFAULT_MAX_RESPONSE_BODY = 1024 * 1024;

  /**
   * One header field of a call or its reply.
   *
   * @param name the field name as written
   * @param value the field value
   */
  public record Header(String name, String value) {
    public Header {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }

  /** Checks every component; see the builder's methods for the rules. */
  public UpstreamCall {
    if (upstream == null || upstream.isEmpty()) throw new IllegalArgumentException("upstream: expected the name of an Upstream, got '" + upstream + "'");
    if (method == null || !HeaderRules.isToken(method)) throw new IllegalArgumentException("method: expected a token such as GET, got '" + method + "'");
    checkPath(path);
    headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
    for (Header h : headers) HeaderRules.check(h.name(), h.value(), false);
    if (authority != null) checkAuthority(authority);
    Objects.requireNonNull(body, "body");
    if (maxResponseBody < 0 || maxResponseBody > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("maxResponseBody: expected 0 to 2GiB, got " + maxResponseBody);
    }
    if (timeout != null && !timeout.isPositive()) throw new IllegalArgumentException("timeout: expected a duration above zero, got " + timeout);
  }

  /** A builder for a call to the Upstream named {@code upstream}: GET {@code /} unless set otherwise. */
  public static Builder to(String upstream) {
    return new Builder(upstream);
  }

  /** A builder starting from this call. */
  public Builder toBuilder() {
    Builder b = new Builder(upstream).method(method).path(path).body(body).maxResponseBody(maxResponseBody);
    b.headers.addAll(headers);
    b.authority = authority;
    b.timeout = timeout;
    return b;
  }

  private static void checkPath(@Nullable String path) {
    if (path == null || !path.startsWith("/")) throw new IllegalArgumentException("path: expected a path starting with '/', got '" + path + "'");
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException("path: invalid character 0x" + Integer.toHexString(c) + " in '" + path
            + "'; expected no spaces or control characters (percent-encode them)");
      }
    }
  }

  private static void checkAuthority(String authority) {
    if (authority.isEmpty()) throw new IllegalArgumentException("authority: expected host[:port], got ''");
    for (int i = 0; i < authority.length(); i++) {
      char c = authority.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '@') {
        throw new IllegalArgumentException("authority: expected host[:port], got '" + authority + "'");
      }
    }
  }

  @Override
  public String toString() {
    return "UpstreamCall[" + method + " " + path + " to Upstream/" + upstream + ", " + headers.size() + " headers, "
        + body.length + " body bytes]";
  }

  /** Builds an {@link UpstreamCall}; not thread-safe. Each setter checks its value at {@link #build}. */
  public static final class Builder {
    private final String upstream;
    private String method = "GET";
    private String path = "/";
    private final List<Header> headers = new ArrayList<>();
    private @Nullable String authority;
    private byte[] body = new byte[0];
    private long maxResponseBody = DEFAULT_MAX_RESPONSE_BODY;
    private @Nullable Duration timeout;

    private Builder(String upstream) {
      this.upstream = upstream;
    }

    public Builder method(String method) {
      this.method = method;
      return this;
    }

    /** The request target: a path starting with {@code /}, optionally with {@code ?query}. */
    public Builder path(String path) {
      this.path = path;
      return this;
    }

    /** Adds a header field; the request rules of {@link HeaderRules} apply (no Host, framing or hop-by-hop fields). */
    public Builder header(String name, String value) {
      headers.add(new Header(name, value));
      return this;
    }

    /** The Host to send, in place of the endpoint's {@code host:port}. */
    public Builder authority(String authority) {
      this.authority = authority;
      return this;
    }

    /** The body (copied). */
    public Builder body(byte[] body) {
      this.body = body.clone();
      return this;
    }

    /** A UTF-8 text body and its Content-Type. */
    public Builder body(String contentType, String text) {
      header("Content-Type", contentType);
      return body(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The most response body bytes taken (0 to 2 GiB); 1 MiB unless set. */
    public Builder maxResponseBody(long bytes) {
      this.maxResponseBody = bytes;
      return this;
    }

    /** A deadline over all attempts; none unless set. */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** @throws IllegalArgumentException naming the first value that is not valid */
    public UpstreamCall build() {
      return new UpstreamCall(upstream, method, path, headers, authority, body, maxResponseBody, timeout);
    }
  }
}
