package io.sluice.filter.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request as a client sends it to the gateway, for {@link FilterHarness#run}. Immutable; built
 * with {@link #builder} (or {@link #get}). Its body, when it has one, goes with a
 * {@code Content-Length}; the Host is {@link Builder#authority}.
 *
 * <pre>{@code
 * TestRequest r = TestRequest.builder("POST", "/orders?debug=1")
 *     .header("Authorization", "Bearer x")
 *     .body("application/json", "{}")
 *     .build();
 * }</pre>
 */
public final class TestRequest {
  private final String method;
  private final String path;
  private final @Nullable String query;
  private final String authority;
  private final String scheme;
  private final String clientIp;
  private final List<HeaderField> headers;
  private final byte @Nullable [] body;
  private final @Nullable List<byte[]> chunks;
  private final List<HeaderField> trailers;

  private TestRequest(Builder b) {
    this.method = b.method;
    this.path = b.path;
    this.query = b.query;
    this.authority = b.authority;
    this.scheme = b.scheme;
    this.clientIp = b.clientIp;
    this.headers = List.copyOf(b.headers);
    this.body = b.body;
    this.chunks = b.chunks == null ? null : List.copyOf(b.chunks);
    this.trailers = List.copyOf(b.trailers);
  }

  /** The pieces a streaming filter gets the body in: those of {@link Builder#bodyChunks}, else the body as one. */
  List<byte[]> bodyPieces() {
    List<byte[]> c = chunks;
    if (c != null) return c;
    byte[] b = body;
    return b == null || b.length == 0 ? List.of() : List.of(b);
  }

  /** The trailer fields sent after the body ({@link Builder#trailer}). */
  List<HeaderField> trailers() {
    return trailers;
  }

  /** A GET of {@code target} ({@code /path} or {@code /path?query}). */
  public static TestRequest get(String target) {
    return builder("GET", target).build();
  }

  /**
   * A builder for a request.
   *
   * @param target the path, with its raw query if any: {@code /orders?id=1}; the path must start
   *     with {@code /} and is taken as the gateway would have normalised it
   */
  public static Builder builder(String method, String target) {
    return new Builder(method, target);
  }

  public String method() {
    return method;
  }

  public String path() {
    return path;
  }

  public @Nullable String query() {
    return query;
  }

  /** The Host header: {@code host[:port]}. */
  public String authority() {
    return authority;
  }

  /** The host the route matched: {@link #authority()} in lower case, without the port. */
  public String host() {
    String a = authority;
    int colon = a.startsWith("[") ? a.indexOf("]:") + 1 : a.lastIndexOf(':');
    return (colon > 0 ? a.substring(0, colon) : a).toLowerCase(Locale.ROOT);
  }

  public String scheme() {
    return scheme;
  }

  public String clientIp() {
    return clientIp;
  }

  /** The header fields as the client sent them, Host and Content-Length left out. */
  public List<HeaderField> headers() {
    return headers;
  }

  /** The body, or null when the request has none (no Content-Length). */
  public byte @Nullable [] body() {
    return body == null ? null : body.clone();
  }

  byte @Nullable [] bodyBytes() {
    return body;
  }

  /** Builds a {@link TestRequest}; not thread-safe. */
  public static final class Builder {
    private final String method;
    private final String path;
    private @Nullable String query;
    private String authority = "example.test";
    private String scheme = "http";
    private String clientIp = "127.0.0.1";
    private final List<HeaderField> headers = new ArrayList<>();
    private byte @Nullable [] body;
    private @Nullable List<byte[]> chunks;
    private final List<HeaderField> trailers = new ArrayList<>();

    private Builder(String method, String target) {
      if (method == null || !io.sluice.filter.HeaderRules.isToken(method)) {
        throw new IllegalArgumentException("invalid method '" + method + "': expected a token such as GET");
      }
      Objects.requireNonNull(target, "target");
      if (!target.startsWith("/")) throw new IllegalArgumentException("invalid target '" + target + "': expected it to start with '/'");
      int q = target.indexOf('?');
      this.method = method;
      this.path = q < 0 ? target : target.substring(0, q);
      this.query = q < 0 || q == target.length() - 1 ? null : target.substring(q + 1);
    }

    /** The Host header, {@code host[:port]}; {@code example.test} unless set. */
    public Builder authority(String authority) {
      if (authority == null || authority.isEmpty()) throw new IllegalArgumentException("authority must be host[:port], got '" + authority + "'");
      this.authority = authority;
      return this;
    }

    /** {@code http} (the default) or {@code https}. */
    public Builder scheme(String scheme) {
      if (!"http".equals(scheme) && !"https".equals(scheme)) {
        throw new IllegalArgumentException("scheme must be http or https, got '" + scheme + "'");
      }
      this.scheme = scheme;
      return this;
    }

    /** The client's address; {@code 127.0.0.1} unless set. */
    public Builder clientIp(String clientIp) {
      this.clientIp = Objects.requireNonNull(clientIp, "clientIp");
      return this;
    }

    /**
     * Adds a header field. Host is {@link #authority}, and Content-Length comes from the body.
     *
     * @throws IllegalArgumentException for an invalid name or value, Host, Content-Length or
     *     Transfer-Encoding
     */
    public Builder header(String name, String value) {
      Fields.checkTestField(name, value, "request");
      if (name.equalsIgnoreCase("host")) throw new IllegalArgumentException("request header Host: set it with authority(...)");
      headers.add(new HeaderField(name, value));
      return this;
    }

    /** Sets the body, sent with a Content-Length (the array is copied). */
    public Builder body(byte[] bytes) {
      this.chunks = null;
      this.body = bytes.clone();
      return this;
    }

    /** Sets the body as UTF-8 text and a Content-Type header. */
    public Builder body(String contentType, String text) {
      header("Content-Type", contentType);
      return body(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sets the body as the UTF-8 text of {@code pieces}, in the pieces a streaming filter
     * ({@link io.sluice.filter.Filter#streamRequestBody()}) gets it in, as if it came chunked.
     */
    public Builder bodyChunks(String... pieces) {
      List<byte[]> c = Fields.utf8Pieces(pieces);
      this.chunks = c;
      this.body = Fields.concat(c);
      return this;
    }

    /** Adds a trailer field sent after the body, as a chunked body has them (a streaming filter reads them on its last call). */
    public Builder trailer(String name, String value) {
      Fields.checkTestField(name, value, "request trailer");
      trailers.add(new HeaderField(name, value));
      return this;
    }

    public TestRequest build() {
      return new TestRequest(this);
    }
  }
}
