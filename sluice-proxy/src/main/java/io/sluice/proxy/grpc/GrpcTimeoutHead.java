package io.sluice.proxy.grpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * A gRPC call's remaining deadline as the {@code grpc-timeout} an attempt sends upstream: the
 * gateway's encoded (HTTP/1.1 form) request head gets its {@code grpc-timeout} field replaced, so
 * that a retry tells the upstream the time left of the whole call, not the client's original
 * timeout.
 *
 * <p>Stateless; the exchange's event loop.
 */
public final class GrpcTimeoutHead {
  private static final long MAX_VALUE = 99_999_999L;

  private GrpcTimeoutHead() {}

  /**
   * {@code nanos} (at least 0) in {@code grpc-timeout}'s form: at most 8 digits and a unit,
   * microseconds while they fit (under 100 s), else milliseconds, else seconds; rounded down, so
   * the upstream never gets more time than is left.
   */
  public static String format(long nanos) {
    long n = Math.max(0, nanos);
    long micros = n / 1_000;
    if (micros <= MAX_VALUE) return micros + "u";
    long millis = n / 1_000_000;
    if (millis <= MAX_VALUE) return millis + "m";
    return Math.min(MAX_VALUE, n / 1_000_000_000) + "S";
  }

  /**
   * {@code head} (a complete request head, ending with its empty line) without any
   * {@code grpc-timeout} field and with {@code grpc-timeout: format(remainingNanos)} added before
   * the empty line. Releases {@code head}; the caller owns the result.
   */
  public static ByteBuf withTimeout(ByteBuf head, long remainingNanos, ByteBufAllocator alloc) {
    byte[] field = ("grpc-timeout: " + format(remainingNanos) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    int start = head.readerIndex();
    int end = head.writerIndex();
    ByteBuf out = alloc.ioBuffer(head.readableBytes() + field.length);
    int lineStart = head.indexOf(start, end, (byte) '\n') + 1;
    out.writeBytes(head, start, lineStart - start);
    for (int i = lineStart; i < end; ) {
      int eol = head.indexOf(i, end, (byte) '\n');
      if (eol < 0 || eol - i <= 1) {
        // The empty line (or what follows it): the new field goes just before it.
        out.writeBytes(field);
        out.writeBytes(head, i, end - i);
        break;
      }
      if (!isGrpcTimeout(head, i, eol)) out.writeBytes(head, i, eol + 1 - i);
      i = eol + 1;
    }
    head.release();
    return out;
  }

  private static boolean isGrpcTimeout(ByteBuf head, int from, int eol) {
    String name = "grpc-timeout:";
    if (eol - from < name.length()) return false;
    for (int k = 0; k < name.length(); k++) {
      int c = head.getByte(from + k);
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
      if (c != name.charAt(k)) return false;
    }
    return true;
  }
}
