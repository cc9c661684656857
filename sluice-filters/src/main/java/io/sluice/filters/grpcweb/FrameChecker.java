package io.sluice.filters.grpcweb;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * Follows the length-prefixed messages of a gRPC-Web request body as it passes, without holding
 * them: each message is a flags byte (0 or 1, "compressed"; a trailer frame, 0x80, comes only from
 * servers), a 4-byte big-endian length and that many bytes. Reports the first malformation, and
 * whether the body ended inside a message.
 *
 * <p>Not thread-safe: one instance per body, used on the exchange's event loop.
 */
final class FrameChecker {
  private final byte[] header = new byte[5];
  private int headerBytes;
  private long payloadLeft;
  private long offset;

  /** Checks the next bytes of the body; returns what is wrong, or null. The buffer's position does not move. */
  @Nullable String check(ByteBuffer data) {
    int i = data.position();
    int end = data.limit();
    while (i < end) {
      if (payloadLeft > 0) {
        int n = (int) Math.min(payloadLeft, end - i);
        payloadLeft -= n;
        i += n;
        offset += n;
        continue;
      }
      header[headerBytes++] = data.get(i++);
      offset++;
      if (headerBytes < 5) continue;
      headerBytes = 0;
      int flags = header[0] & 0xff;
      if (flags > 1) {
        return "malformed gRPC-Web frame at byte " + (offset - 5) + " of the request body: flags 0x"
            + Integer.toHexString(flags) + "; expected 0x00 or 0x01 (a message)";
      }
      payloadLeft = ((header[1] & 0xffL) << 24) | ((header[2] & 0xff) << 16) | ((header[3] & 0xff) << 8) | (header[4] & 0xff);
    }
    return null;
  }

  /** What is wrong when the body ends here: null at a message boundary. */
  @Nullable String end() {
    if (headerBytes == 0 && payloadLeft == 0) return null;
    return "malformed gRPC-Web request body: it ends inside a message (" + (headerBytes > 0
        ? headerBytes + " of the 5 bytes of a message header)"
        : payloadLeft + " bytes of the message missing)");
  }
}
