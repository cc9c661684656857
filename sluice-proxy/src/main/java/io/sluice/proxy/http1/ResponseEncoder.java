package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.ResponseMessage;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Encodes a response head that did not come from this codec (another protocol's upstream) as an
 * HTTP/1.1 response head. A head this codec read is re-encoded by {@link ResponseHead} itself, from
 * its received bytes.
 *
 * <p>Hop-by-hop fields are left out; so is Content-Length unless the caller keeps it (a body that
 * goes out as received, or none); the caller then delimits the body by the close, or its edits
 * carry the new length.
 */
public final class ResponseEncoder {
  private ResponseEncoder() {}

  /**
   * @param keepLength write the head's Content-Length field, if it has one
   * @param close the connection closes after this response ({@code Connection: close} is written)
   * @param keepAliveHeader announce keep-alive (for an HTTP/1.0 client that asked for it)
   */
  public static ByteBuf encode(ByteBufAllocator alloc, ResponseMessage head, @Nullable HeaderEdits edits,
      boolean keepLength, boolean close, boolean keepAliveHeader) {
    return encode(alloc, head, edits, keepLength, close, keepAliveHeader, false);
  }

  /**
   * As {@link #encode(ByteBufAllocator, ResponseMessage, HeaderEdits, boolean, boolean, boolean)};
   * {@code chunked}: the body follows in chunks ({@code Transfer-Encoding: chunked} is written).
   */
  public static ByteBuf encode(ByteBufAllocator alloc, ResponseMessage head, @Nullable HeaderEdits edits,
      boolean keepLength, boolean close, boolean keepAliveHeader, boolean chunked) {
    ByteBuf out = alloc.ioBuffer(256 + 48 * head.headerCount());
    out.writeCharSequence("HTTP/1.1 " + head.status() + " " + ReasonPhrases.of(head.status()) + "\r\n",
        StandardCharsets.ISO_8859_1);
    for (int i = 0; i < head.headerCount(); i++) {
      if (head.isHopByHop(i) || (!keepLength && head.headerNameIs(i, "content-length"))) continue;
      String name = head.headerName(i);
      if (edits != null && edits.isRemoved(name.toLowerCase(java.util.Locale.ROOT))) continue;
      field(out, name, head.headerValue(i));
    }
    if (edits != null) {
      for (int i = 0; i < edits.addedCount(); i++) field(out, edits.addedName(i), edits.addedValue(i));
    }
    if (chunked) out.writeCharSequence("Transfer-Encoding: chunked\r\n", StandardCharsets.ISO_8859_1);
    if (close) {
      out.writeCharSequence("Connection: close\r\n", StandardCharsets.ISO_8859_1);
    } else if (keepAliveHeader) {
      out.writeCharSequence("Connection: keep-alive\r\n", StandardCharsets.ISO_8859_1);
    }
    out.writeShort(RequestHead.CRLF);
    return out;
  }

  private static void field(ByteBuf out, String name, String value) {
    out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
    out.writeShort(RequestHead.COLON_SP);
    out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
    out.writeShort(RequestHead.CRLF);
  }
}
