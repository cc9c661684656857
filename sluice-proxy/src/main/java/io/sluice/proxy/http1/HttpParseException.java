package io.sluice.proxy.http1;

import io.sluice.proxy.message.RequestRejectedException;

/**
 * A message that HTTP/1.1 (RFC 9112, RFC 9110) says must be refused, with the status to refuse it
 * with. Thrown by the parsers; the connection that produced it is answered (if possible) and closed,
 * because after a framing error nothing later on the connection can be trusted.
 *
 * <p>Stack traces are not filled in: these are expected on hostile input and must stay cheap.
 */
public final class HttpParseException extends RequestRejectedException {
  /** @param status 400, 413, 414, 417, 431, 501 or 505; 502 for an upstream's response */
  public HttpParseException(int status, String message) {
    super(status, message);
  }
}
