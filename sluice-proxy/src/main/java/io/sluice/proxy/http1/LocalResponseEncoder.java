package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.filter.LocalResponse;
import io.sluice.proxy.message.HeaderEdits;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Encodes {@link LocalResponse}s for HTTP/1.1, with the header edits of the response phase. The
 * SPI's response holds no wire format; the status lines are encoded once here, and the fields are
 * written straight into the output buffer, so a response costs no allocation beyond that buffer.
 * Stateless; called on event loops.
 */
public final class LocalResponseEncoder {
  private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] CONNECTION_CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.ISO_8859_1);
  /** {@code HTTP/1.1 200 OK\r\n} and so on, by status: a LocalResponse's status is 200 to 599. */
  private static final byte[][] STATUS_LINES = new byte[600][];

  static {
    for (int s = 200; s < STATUS_LINES.length; s++) {
      STATUS_LINES[s] = ("HTTP/1.1 " + s + " " + ReasonPhrases.of(s) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }
  }

  private LocalResponseEncoder() {}

  /**
   * The response, with the response phase's {@code edits}; the caller owns the buffer.
   *
   * @param close write {@code Connection: close}
   * @param headRequest the request was a HEAD: the body is left out (its Content-Length stays)
   */
  public static ByteBuf encode(ByteBufAllocator alloc, LocalResponse r, HeaderEdits edits, boolean close, boolean headRequest) {
    byte[] body = r.body();
    boolean bodiless = r.status() == 204 || r.status() == 304;
    byte[] statusLine = STATUS_LINES[r.status()];
    int size = statusLine.length + body.length + 64 + 48 * edits.addedCount();
    for (int i = 0; i < r.headerCount(); i++) size += r.headerName(i).length() + r.headerValue(i).length() + 4;
    ByteBuf out = alloc.ioBuffer(size);
    out.writeBytes(statusLine);
    boolean edited = !edits.isEmpty();
    for (int i = 0; i < r.headerCount(); i++) {
      if (edited && edits.isRemoved(r.headerName(i).toLowerCase(Locale.ROOT))) continue;
      field(out, r.headerName(i), r.headerValue(i));
    }
    for (int i = 0; i < edits.addedCount(); i++) field(out, edits.addedName(i), edits.addedValue(i));
    if (!bodiless) {
      out.writeBytes(CONTENT_LENGTH);
      out.writeCharSequence(Integer.toString(body.length), StandardCharsets.ISO_8859_1);
      out.writeShort(0x0d0a);
    }
    if (close) out.writeBytes(CONNECTION_CLOSE);
    out.writeShort(0x0d0a);
    if (!bodiless && !headRequest) out.writeBytes(body);
    return out;
  }

  private static void field(ByteBuf out, String name, String value) {
    out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
    out.writeShort(0x3a20);
    out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
    out.writeShort(0x0d0a);
  }
}
