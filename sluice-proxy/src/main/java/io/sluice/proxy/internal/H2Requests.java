package io.sluice.proxy.internal;

import io.sluice.proxy.message.RequestMessage;

/** What an HTTP/2 upstream request keeps of the client's request beyond the gateway's encoding of it. */
final class H2Requests {
  private H2Requests() {}

  /** Whether the client sent {@code TE: trailers}, the one TE value an HTTP/2 request may carry (RFC 9113 §8.2.2). */
  static boolean teTrailers(RequestMessage h) {
    if (h instanceof io.sluice.proxy.http2.Http2RequestHead h2) return h2.teTrailers();
    String te = h.header("te");
    return te != null && te.toLowerCase(java.util.Locale.ROOT).contains("trailers");
  }
}
