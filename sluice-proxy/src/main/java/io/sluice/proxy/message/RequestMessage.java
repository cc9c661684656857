package io.sluice.proxy.message;

import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.route.split.Colouring;
import org.jspecify.annotations.Nullable;

/**
 * A request head as the exchange, the filters, the tracer and the access log see it, whatever the
 * client's protocol: the HTTP/1.1 codec's {@code RequestHead} implements it over the received bytes
 * (zero-copy offsets stay inside the codec), and an HTTP/2 stream's head will implement it over its
 * decoded header block. Encoding it for an upstream is the upstream codec's job.
 *
 * <p>Header fields are indexed {@code 0 .. headerCount() - 1} in the order received; the
 * accessors do not build strings unless they return one. Pseudo-headers and Host are not fields
 * here: {@link #method()}, {@link #path()}, {@link #authority()} and {@link #scheme()} carry them.
 *
 * <p>Threading and lifetime: owned by one client connection (or stream) and its event loop; valid
 * until that connection's next request head is read, so a reference must not outlive its exchange.
 */
public interface RequestMessage extends RequestView {
  /** {@code http} or {@code https}: what the client's connection is, as X-Forwarded-Proto says. */
  String scheme();

  /** The authority as received (Host, the absolute-form target's, or {@code :authority}), with its port. */
  String authority();

  /** The client's protocol as the access log names it: {@code HTTP/1.0}, {@code HTTP/1.1}, {@code HTTP/2}. */
  String protocol();

  /** The bytes the head took on the wire, for the byte counts of metrics and the access log. */
  int headLength();

  /** The body's length when known up front (Content-Length); -1 when it is not, or there is no body. */
  long contentLength();

  /** Whether a body follows: a length above zero, or one that is known only when it ends. */
  boolean hasBody();

  /**
   * Whether the body comes in chunks that may end with trailer fields (HTTP/1.1 chunked; an HTTP/2
   * body always does), so a length is known only at its end.
   */
  boolean bodyChunked();

  /** Whether the client waits for {@code 100 Continue} before it sends its body. */
  boolean expectsContinue();

  int headerCount();

  /** Name of field {@code i} as received. */
  String headerName(int i);

  /** Value of field {@code i}, without surrounding whitespace. */
  String headerValue(int i);

  /** Whether the name of field {@code i} is {@code lowerName}, compared case-insensitively without building a string. */
  boolean headerNameIs(int i, String lowerName);

  /** Whether field {@code i} belongs to this hop only (Connection and what it names, Keep-Alive, TE, ...): never forwarded. */
  boolean isHopByHop(int i);

  /** Whether a Via field names {@code pseudonym} as a hop: the request has been through that gateway listener before. */
  boolean viaNames(String pseudonym);

  /**
   * Sets a header the gateway forwards on this request (traffic colouring): {@link #header} returns
   * its value from now on, and the client's fields of that name are not forwarded. One such header
   * per request; the next request clears it.
   */
  void setHeader(Colouring header);

  /**
   * The X-Request-Id the gateway generated for this request, high 64 bits; with {@link
   * #generatedRequestIdLow()} zero when it generated none (the client sent one, or nothing went upstream yet).
   */
  long generatedRequestIdHigh();

  /** Low 64 bits of the generated X-Request-Id. */
  long generatedRequestIdLow();

  /**
   * The header set by {@link #setHeader}, or null: for a codec that encodes the head from these
   * accessors. The HTTP/1.1 codec's own head keeps it in its bytes and returns null.
   */
  default @Nullable Colouring setHeaderField() {
    return null;
  }

  /**
   * The X-Forwarded-Client-Cert field the gateway sends for this request's client certificate, as
   * an HTTP/1.1 field line ({@code X-Forwarded-Client-Cert: ...\r\n}), or null: for a codec that
   * encodes the head from these accessors. The HTTP/1.1 codec's own head returns null (it writes it itself).
   */
  default byte @Nullable [] forwardedClientCertLine() {
    return null;
  }
}
