package io.sluice.proxy.websocket.internal;

import io.netty.buffer.ByteBuf;

/**
 * Follows the WebSocket frames (RFC 6455 §5.2) of one direction of a tunnel as their bytes pass,
 * without decoding, unmasking or copying them: it reads each frame's header (2 to 14 bytes, possibly
 * split over reads) and skips its payload by count. That is what the gateway needs to know to put
 * a close frame of its own into the stream, at a frame boundary, and to see close frames go by; a
 * frame codec would unmask and copy every payload for it.
 *
 * <p>Threading: the tunnel's event loop only.
 */
final class FrameTracker {
  private static final int OPCODE_CLOSE = 8;

  private final byte[] header = new byte[14];
  private int headerRead;
  private int headerLength;
  /** Payload bytes of the current frame still to pass. */
  private long remaining;
  private int closeFrames;

  /** Follows the readable bytes of {@code b} (its indexes are left alone). */
  void scan(ByteBuf b) {
    int i = b.readerIndex();
    int end = b.writerIndex();
    while (i < end) {
      if (remaining > 0) {
        int n = (int) Math.min(remaining, end - i);
        i += n;
        remaining -= n;
        continue;
      }
      header[headerRead++] = b.getByte(i++);
      if (headerRead == 2) {
        int length7 = header[1] & 0x7f;
        headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
      }
      if (headerRead >= 2 && headerRead == headerLength) frameStarts();
    }
  }

  private void frameStarts() {
    int length7 = header[1] & 0x7f;
    long length;
    if (length7 < 126) {
      length = length7;
    } else if (length7 == 126) {
      length = ((header[2] & 0xff) << 8) | (header[3] & 0xff);
    } else {
      length = 0;
      for (int k = 2; k < 10; k++) length = (length << 8) | (header[k] & 0xff);
      // The most significant bit must be 0; the endpoints fail such a connection, and the gateway
      // just finds no boundary after it.
      if (length < 0) length = Long.MAX_VALUE;
    }
    if ((header[0] & 0x0f) == OPCODE_CLOSE) closeFrames++;
    remaining = length;
    headerRead = 0;
    headerLength = 0;
  }

  /** Whether the bytes so far end exactly at the end of a frame: a frame of the gateway's may follow. */
  boolean atBoundary() {
    return remaining == 0 && headerRead == 0;
  }

  /** Close frames whose header has passed so far. */
  int closeFrames() {
    return closeFrames;
  }
}
