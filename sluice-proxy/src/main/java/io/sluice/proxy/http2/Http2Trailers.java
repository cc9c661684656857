package io.sluice.proxy.http2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.proxy.message.Trailers;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Trailer fields between HTTP/2 and the rest of the gateway: an HTTP/2 trailers block as the
 * neutral {@link Trailers}, as the last chunk of an HTTP/1.1 chunked body (the framing request
 * bodies of unknown length take inside the gateway), and back. Fields that may not be trailers
 * ({@link Trailers#allowed}) are left out.
 *
 * <p>Stateless; the caller's event loop.
 */
public final class Http2Trailers {
  private Http2Trailers() {}

  /** {@code trailers} as an HTTP/2 header block (lower-case names, no pseudo-headers). */
  public static Http2Headers headers(Trailers trailers) {
    Http2Headers h = new DefaultHttp2Headers(false, trailers.count());
    for (int i = 0; i < trailers.count(); i++) h.add(trailers.name(i), trailers.value(i));
    return h;
  }

  /** An HTTP/2 trailers block as neutral trailers. */
  public static Trailers of(Http2Headers headers) {
    Trailers t = new Trailers();
    for (Map.Entry<CharSequence, CharSequence> e : headers) {
      String name = e.getKey().toString();
      if (Trailers.allowed(name)) t.add(name, e.getValue());
    }
    return t;
  }

  /** The last chunk of a chunked body carrying {@code headers} as its trailer section; the caller owns the buffer. */
  public static ByteBuf lastChunk(ByteBufAllocator alloc, Http2Headers headers) {
    ByteBuf out = alloc.ioBuffer(64 + 32 * headers.size());
    out.writeCharSequence("0\r\n", StandardCharsets.ISO_8859_1);
    for (Map.Entry<CharSequence, CharSequence> e : headers) {
      String name = e.getKey().toString();
      if (!Trailers.allowed(name)) continue;
      out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
      out.writeCharSequence(": ", StandardCharsets.ISO_8859_1);
      out.writeCharSequence(e.getValue(), StandardCharsets.ISO_8859_1);
      out.writeCharSequence("\r\n", StandardCharsets.ISO_8859_1);
    }
    out.writeCharSequence("\r\n", StandardCharsets.ISO_8859_1);
    return out;
  }

  /** The last chunk of a chunked body carrying {@code trailers}; the caller owns the buffer. */
  public static ByteBuf lastChunk(ByteBufAllocator alloc, Trailers trailers) {
    ByteBuf out = alloc.ioBuffer(64 + 32 * trailers.count());
    out.writeCharSequence("0\r\n", StandardCharsets.ISO_8859_1);
    for (int i = 0; i < trailers.count(); i++) {
      out.writeCharSequence(trailers.name(i), StandardCharsets.ISO_8859_1);
      out.writeCharSequence(": ", StandardCharsets.ISO_8859_1);
      out.writeCharSequence(trailers.value(i), StandardCharsets.ISO_8859_1);
      out.writeCharSequence("\r\n", StandardCharsets.ISO_8859_1);
    }
    out.writeCharSequence("\r\n", StandardCharsets.ISO_8859_1);
    return out;
  }
}
