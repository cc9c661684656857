package io.sluice.filter.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A response as an upstream sends it, for {@link TestExchange#upstreamResponds}. Immutable; built
 * with {@link #builder}. Its body goes with a Content-Length (none for 204 and 304).
 */
public final class TestResponse {
  private final int status;
  private final List<HeaderField> headers;
  private final byte[] body;
  private final @Nullable List<byte[]> chunks;
  private final List<HeaderField> trailers;

  private TestResponse(Builder b) {
    this.status = b.status;
    this.headers = List.copyOf(b.headers);
    this.body = b.body;
    this.chunks = b.chunks == null ? null : List.copyOf(b.chunks);
    this.trailers = List.copyOf(b.trailers);
  }

  /** The pieces a streaming filter gets the body in: those of {@link Builder#bodyChunks}, else the body as one. */
  List<byte[]> bodyPieces() {
    List<byte[]> c = chunks;
    if (c != null) return c;
    return body.length == 0 ? List.of() : List.of(body);
  }

  /** The trailer fields sent after the body ({@link Builder#trailer}). */
  List<HeaderField> trailers() {
    return trailers;
  }

  /** An empty response with {@code status}. */
  public static TestResponse of(int status) {
    return builder(status).build();
  }

  /** A builder for a response with {@code status} (200 to 599). */
  public static Builder builder(int status) {
    return new Builder(status);
  }

  public int status() {
    return status;
  }

  /** The header fields as the upstream sent them, Content-Length left out. */
  public List<HeaderField> headers() {
    return headers;
  }

  public byte[] body() {
    return body.clone();
  }

  byte[] bodyBytes() {
    return body;
  }

  /** Builds a {@link TestResponse}; not thread-safe. */
  public static final class Builder {
    private final int status;
    private final List<HeaderField> headers = new ArrayList<>();
    private byte[] body = new byte[0];
    private @Nullable List<byte[]> chunks;
    private final List<HeaderField> trailers = new ArrayList<>();

    private Builder(int status) {
      if (status < 200 || status > 599) throw new IllegalArgumentException("status must be 200 to 599, got " + status);
      this.status = status;
    }

    /**
     * Adds a header field (hop-by-hop ones too: filters do not see them, as in the gateway).
     *
     * @throws IllegalArgumentException for an invalid name or value, Content-Length or Transfer-Encoding
     */
    public Builder header(String name, String value) {
      Fields.checkTestField(name, value, "response");
      headers.add(new HeaderField(name, value));
      return this;
    }

    /** Sets the body (the array is copied). */
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
     * ({@link io.sluice.filter.Filter#streamResponseBody()}) gets it in, as if it came chunked.
     */
    public Builder bodyChunks(String... pieces) {
      List<byte[]> c = Fields.utf8Pieces(pieces);
      this.chunks = c;
      this.body = Fields.concat(c);
      return this;
    }

    /** Adds a trailer field sent after the body (a streaming filter reads them on its last call). */
    public Builder trailer(String name, String value) {
      Fields.checkTestField(name, value, "response trailer");
      trailers.add(new HeaderField(name, value));
      return this;
    }

    public TestResponse build() {
      if ((status == 204 || status == 304) && body.length > 0) throw new IllegalArgumentException("a " + status + " response has no body");
      return new TestResponse(this);
    }
  }
}
