package io.sluice.proxy.websocket.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** The close frames the gateway sends itself (RFC 6455 §5.5.1). */
final class CloseFrames {
  /** 1001: the endpoint is going away (RFC 6455 §7.4.1). */
  static final int GOING_AWAY = 1001;

  private CloseFrames() {}

  /**
   * A close frame with {@code code} and {@code reason} (at most 123 bytes of UTF-8); masked when it
   * goes to the upstream, since the gateway is its client there (RFC 6455 §5.3).
   */
  static ByteBuf close(ByteBufAllocator alloc, int code, String reason, boolean masked) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    if (text.length > 123) throw new IllegalArgumentException("a close reason has at most 123 bytes, got " + text.length);
    int length = 2 + text.length;
    ByteBuf out = alloc.ioBuffer(2 + (masked ? 4 : 0) + length);
    out.writeByte(0x80 | 0x08);
    out.writeByte((masked ? 0x80 : 0) | length);
    byte[] payload = new byte[length];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, text.length);
    if (masked) {
      int key = ThreadLocalRandom.current().nextInt();
      out.writeInt(key);
      for (int i = 0; i < length; i++) payload[i] ^= (byte) (key >> (8 * (3 - (i & 3))));
    }
    out.writeBytes(payload);
    return out;
  }
}
