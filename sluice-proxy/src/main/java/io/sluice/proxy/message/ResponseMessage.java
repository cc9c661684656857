package io.sluice.proxy.message;

import org.jspecify.annotations.Nullable;

/**
 * An upstream's response head as the exchange and the filters see it, whatever the upstream's
 * protocol: the HTTP/1.1 codec's {@code ResponseHead} implements it over the received bytes. The
 * client side encodes it ({@code Downstream.writeResponseHead}); nothing else writes it.
 *
 * <p>Threading and lifetime: owned by one upstream connection (or stream) and its event loop; valid
 * until that connection reads its next response head.
 */
public interface ResponseMessage {
  int status();

  /** The body's length when known up front (Content-Length); -1 when it is known only once the body ends. */
  long bodyLength();

  /**
   * Whether the body comes in chunks that may end with trailer fields (HTTP/1.1 chunked; an HTTP/2
   * body always does).
   */
  boolean bodyChunked();

  int headerCount();

  /** Name of field {@code i} as received. */
  String headerName(int i);

  /** Value of field {@code i}, without surrounding whitespace. */
  String headerValue(int i);

  /** Whether the name of field {@code i} is {@code lowerName}, compared case-insensitively without building a string. */
  boolean headerNameIs(int i, String lowerName);

  /** Whether field {@code i} belongs to the upstream's hop only (Connection and what it names, Transfer-Encoding, ...). */
  boolean isHopByHop(int i);

  /** The first value of the field named {@code lowerCaseName}, or null. */
  @Nullable String header(String lowerCaseName);
}
