package io.sluice.proxy.http2;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.filter.LocalResponse;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.ResponseMessage;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Response heads as HTTP/2 header lists: an upstream's {@link ResponseMessage} or a {@link
 * LocalResponse}, with the response filters' {@link HeaderEdits}. Names are lower-cased (RFC 9113
 * §8.2.2); the connection-specific fields (Connection and what it names, Keep-Alive,
 * Proxy-Connection, Transfer-Encoding, Upgrade) are dropped; Content-Length is kept only when it
 * states the length of the body that follows.
 *
 * <p>Stateless; the caller's event loop.
 */
public final class Http2ResponseHeads {
  private Http2ResponseHeads() {}

  /**
   * The header list of {@code head}.
   *
   * @param contentLength the Content-Length to send, or -1 for none (the body's length is not known
   *     up front, or the edits carry it)
   */
  public static Http2Headers of(ResponseMessage head, @Nullable HeaderEdits edits, long contentLength) {
    Http2Headers h = new DefaultHttp2Headers(false, head.headerCount() + 2);
    h.status(statusText(head.status()));
    for (int i = 0; i < head.headerCount(); i++) {
      if (head.isHopByHop(i)) continue;
      String lower = head.headerName(i).toLowerCase(Locale.ROOT);
      if (connectionSpecific(lower) || lower.equals("content-length")) continue;
      if (edits != null && edits.isRemoved(lower)) continue;
      h.add(lower, head.headerValue(i));
    }
    if (edits != null) added(h, edits);
    if (contentLength >= 0 && !h.contains("content-length")) h.setLong("content-length", contentLength);
    return h;
  }

  /** The header list of a local response with the response phase's {@code edits}; its body's length as Content-Length. */
  public static Http2Headers of(LocalResponse r, HeaderEdits edits) {
    Http2Headers h = new DefaultHttp2Headers(false, r.headerCount() + 2);
    h.status(statusText(r.status()));
    boolean edited = !edits.isEmpty();
    for (int i = 0; i < r.headerCount(); i++) {
      String lower = r.headerName(i).toLowerCase(Locale.ROOT);
      if (connectionSpecific(lower) || lower.equals("content-length")) continue;
      if (edited && edits.isRemoved(lower)) continue;
      h.add(lower, r.headerValue(i));
    }
    added(h, edits);
    if (r.status() != 204 && r.status() != 304 && !h.contains("content-length")) h.setInt("content-length", r.body().length);
    return h;
  }

  private static void added(Http2Headers h, HeaderEdits edits) {
    for (int i = 0; i < edits.addedCount(); i++) {
      String lower = edits.addedLowerName(i);
      if (!connectionSpecific(lower)) h.add(lower, edits.addedValue(i));
    }
  }

  /** The header list's size as HPACK counts it without compression (name, value, 32 each): for the byte counts. */
  public static int size(Http2Headers h) {
    int n = 0;
    for (var e : h) n += e.getKey().length() + e.getValue().length() + 32;
    return n;
  }

  private static boolean connectionSpecific(String lower) {
    return switch (lower) {
      case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade" -> true;
      default -> false;
    };
  }

  private static final String[] STATUS = new String[600];

  static {
    for (int i = 100; i < STATUS.length; i++) STATUS[i] = Integer.toString(i);
  }

  private static String statusText(int status) {
    return status >= 100 && status < STATUS.length ? STATUS[status] : Integer.toString(status);
  }
}
