package io.sluice.proxy.http2;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Request heads for an HTTP/2 upstream. The exchange describes each attempt's request once, in
 * the gateway's one encoding step (the forwarding policy, the filters' edits, the trace's
 * {@code traceparent}), as an HTTP/1.1 head; this turns that head into an HTTP/2 header list:
 * method and target become {@code :method} and {@code :path}, Host becomes {@code :authority},
 * names are lower-cased, and the connection-specific fields (Connection, Keep-Alive,
 * Proxy-Connection, Transfer-Encoding, Upgrade, and TE other than {@code trailers}) are dropped
 * (RFC 9113 §8.2.2). {@code te: trailers} is sent when the client sent it, and with every gRPC
 * request ({@code content-type: application/grpc...}), which needs it: a filter that turns another
 * protocol into gRPC ({@code grpc-web}) cannot write the hop-by-hop TE itself.
 *
 * <p>Stateless; the caller's event loop.
 */
public final class Http2UpstreamHeads {
  private Http2UpstreamHeads() {}

  /**
   * The HTTP/2 form of an HTTP/1.1 request head.
   *
   * @param headers the header list
   * @param headLength the bytes of the HTTP/1.1 head (its body, if any, follows them)
   * @param chunked the body that follows is framed in chunks (Transfer-Encoding: chunked)
   * @param contentLength the head's Content-Length, or -1
   */
  public record Request(Http2Headers headers, int headLength, boolean chunked, long contentLength) {}

  /**
   * Converts the HTTP/1.1 head at {@code head}'s reader index (it was encoded by the gateway, so it
   * is well formed); the reader index does not move.
   *
   * @param scheme {@code http} or {@code https}
   * @param teTrailers send {@code te: trailers}
   * @throws IllegalArgumentException when {@code head} holds no complete head
   */
  public static Request of(ByteBuf head, String scheme, boolean teTrailers) {
    int start = head.readerIndex();
    int end = head.writerIndex();
    int lineStart = start;
    Http2Headers h = new DefaultHttp2Headers(false, 16);
    boolean first = true;
    boolean chunked = false;
    long contentLength = -1;
    boolean grpc = false;
    for (int i = start; i < end; i++) {
      if (head.getByte(i) != '\n') continue;
      int lineEnd = i > lineStart && head.getByte(i - 1) == '\r' ? i - 1 : i;
      String line = head.toString(lineStart, lineEnd - lineStart, StandardCharsets.ISO_8859_1);
      lineStart = i + 1;
      if (line.isEmpty()) {
        if (first) throw new IllegalArgumentException("no request line");
        if (teTrailers || grpc) h.add("te", "trailers");
        return new Request(h, lineStart - start, chunked, contentLength);
      }
      if (first) {
        first = false;
        int sp1 = line.indexOf(' ');
        int sp2 = line.lastIndexOf(' ');
        h.method(line.substring(0, sp1));
        h.scheme(scheme);
        h.path(line.substring(sp1 + 1, sp2));
        continue;
      }
      int colon = line.indexOf(':');
      String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).strip();
      switch (name) {
        case "host" -> h.authority(value);
        case "transfer-encoding" -> chunked |= value.toLowerCase(Locale.ROOT).contains("chunked");
        case "connection", "keep-alive", "proxy-connection", "upgrade", "te" -> {}
        case "content-length" -> {
          contentLength = Long.parseLong(value);
          h.add(name, value);
        }
        case "content-type" -> {
          grpc = value.regionMatches(true, 0, "application/grpc", 0, 16)
              && (value.length() == 16 || value.charAt(16) == '+' || value.charAt(16) == ';');
          h.add(name, value);
        }
        default -> h.add(name, value);
      }
    }
    throw new IllegalArgumentException("incomplete request head");
  }
}
