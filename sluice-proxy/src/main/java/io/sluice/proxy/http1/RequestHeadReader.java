package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/**
 * Finds complete request heads in a connection's incoming bytes and parses them into a
 * {@link RequestHead}.
 *
 * <p>Scanning is incremental: bytes already looked at are not looked at again when more arrive, so a
 * client that sends its head one byte at a time costs linear, not quadratic, work. Limits are
 * enforced before a head is complete, so an endless head never grows the buffer beyond them.
 *
 * <p>Threading: one instance per connection, used only on its event loop.
 */
public final class RequestHeadReader {
  /** Room for the method and " HTTP/1.1" around a request target of the maximum length. */
  private static final int REQUEST_LINE_OVERHEAD = 64;

  private final RequestHead head = new RequestHead();
  private byte[] copy = new byte[512];
  private int scanned;
  private int lineStart;
  private int requestLineLength = -1;

  /** True when some bytes of a head have arrived but not the whole head. */
  public boolean inProgress() {
    return scanned > 0;
  }

  /**
   * Returns the next request head and consumes its bytes from {@code in}, or returns null when
   * {@code in} does not hold a whole head yet (nothing is consumed then, except leading empty lines).
   *
   * @throws HttpParseException when the head is malformed or exceeds a limit; the connection must
   *     be answered and closed
   */
  public @Nullable RequestHead read(ByteBuf in, int maxHeaderSize, int maxUriLength, int maxHeaderCount) {
    int start = in.readerIndex();
    int end = in.writerIndex();
    int pos = start + scanned;
    while (pos < end) {
      int lf = in.indexOf(pos, end, (byte) '\n');
      if (lf < 0) {
        scanned = end - start;
        checkPartial(end - start, maxHeaderSize, maxUriLength);
        return null;
      }
      if (lf == start || in.getByte(lf - 1) != '\r') {
        throw new HttpParseException(400, "bare LF in request head");
      }
      int lineLength = lf - 1 - (start + lineStart);
      if (requestLineLength < 0 && lineLength == 0) {
        // RFC 9112 §2.2: an empty line before the request line is ignored (consumed), wherever the
        // reads that brought it were split.
        start = lf + 1;
        in.readerIndex(start);
        pos = start;
        continue;
      }
      if (requestLineLength < 0) {
        requestLineLength = lineLength;
      } else if (lineLength == 0) {
        int total = lf + 1 - start;
        if (total > maxHeaderSize) {
          throw tooLarge(maxHeaderSize, maxUriLength);
        }
        if (copy.length < total) copy = new byte[Math.max(total, copy.length * 2)];
        in.getBytes(start, copy, 0, total);
        in.readerIndex(lf + 1);
        reset();
        head.parse(copy, total, maxUriLength, maxHeaderCount);
        return head;
      }
      lineStart = lf + 1 - start;
      pos = lf + 1;
    }
    scanned = end - start;
    checkPartial(end - start, maxHeaderSize, maxUriLength);
    return null;
  }

  private void checkPartial(int total, int maxHeaderSize, int maxUriLength) {
    if (requestLineLength < 0 && total > maxUriLength + REQUEST_LINE_OVERHEAD) {
      throw new HttpParseException(414, "request target longer than " + maxUriLength);
    }
    if (total > maxHeaderSize) {
      throw tooLarge(maxHeaderSize, maxUriLength);
    }
  }

  private HttpParseException tooLarge(int maxHeaderSize, int maxUriLength) {
    if (requestLineLength < 0 || requestLineLength > maxUriLength + REQUEST_LINE_OVERHEAD) {
      return new HttpParseException(414, "request target longer than " + maxUriLength);
    }
    return new HttpParseException(431, "request head larger than " + maxHeaderSize + " bytes");
  }

  /** Forgets a partly scanned head; call when the connection starts over or closes. */
  public void reset() {
    scanned = 0;
    lineStart = 0;
    requestLineLength = -1;
  }
}
