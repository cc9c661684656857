package io.sluice.proxy.upstream.health;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The two tiny protobuf messages of {@code grpc.health.v1.Health/Check}, encoded by hand so that
 * the data plane needs no protobuf runtime: the request {@code HealthCheckRequest {string service = 1;}}
 * and the answer {@code HealthCheckResponse {ServingStatus status = 1;}}, each in gRPC's
 * length-prefixed framing (a flag byte, 0 for uncompressed, and a 4-byte big-endian length).
 *
 * <p>Stateless; any thread.
 */
final class GrpcHealthMessages {
  /** The method's path. */
  static final String PATH = "/grpc.health.v1.Health/Check";
  /** {@code ServingStatus.SERVING}. */
  static final int SERVING = 1;
  /** The answer could not be read: not a ServingStatus. */
  static final int MALFORMED = -1;

  private GrpcHealthMessages() {}

  /** The framed request asking about {@code service} (empty: the server as a whole). */
  static byte[] request(String service) {
    byte[] name = service.getBytes(StandardCharsets.UTF_8);
    // An empty string is proto3's default: the field is left out, and the message is empty.
    int fieldLength = name.length == 0 ? 0 : 1 + varintSize(name.length) + name.length;
    byte[] out = new byte[5 + fieldLength];
    out[1] = (byte) (fieldLength >>> 24);
    out[2] = (byte) (fieldLength >>> 16);
    out[3] = (byte) (fieldLength >>> 8);
    out[4] = (byte) fieldLength;
    if (fieldLength == 0) return out;
    int at = 5;
    out[at++] = 0x0a; // field 1, wire type 2 (length-delimited)
    for (int v = name.length; ; v >>>= 7) {
      if ((v & ~0x7f) == 0) {
        out[at++] = (byte) v;
        break;
      }
      out[at++] = (byte) ((v & 0x7f) | 0x80);
    }
    System.arraycopy(name, 0, out, at, name.length);
    return out;
  }

  /**
   * The serving status in a framed answer ({@code in}'s readable bytes, the whole message): 0
   * (UNKNOWN, also when the field is left out), 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN, or
   * {@link #MALFORMED} for a compressed, truncated or malformed message. Reads without consuming.
   */
  static int servingStatus(ByteBuf in) {
    int at = in.readerIndex();
    int end = in.writerIndex();
    if (end - at < 5 || in.getByte(at) != 0) return MALFORMED;
    long length = in.getUnsignedInt(at + 1);
    at += 5;
    if (length != end - at) return MALFORMED;
    int status = 0;
    while (at < end) {
      long[] tag = varint(in, at, end);
      if (tag == null) return MALFORMED;
      at = (int) tag[1];
      int field = (int) (tag[0] >>> 3);
      switch ((int) (tag[0] & 7)) {
        case 0 -> {
          long[] v = varint(in, at, end);
          if (v == null) return MALFORMED;
          at = (int) v[1];
          if (field == 1) status = (int) v[0];
        }
        case 1 -> at += 8;
        case 2 -> {
          long[] n = varint(in, at, end);
          if (n == null || n[0] > end) return MALFORMED;
          at = (int) (n[1] + n[0]);
        }
        case 5 -> at += 4;
        default -> {
          return MALFORMED;
        }
      }
      if (at > end) return MALFORMED;
    }
    return status;
  }

  /** A varint at {@code at}: its value and the index after it, or null when it runs past {@code end}. */
  private static long @org.jspecify.annotations.Nullable [] varint(ByteBuf in, int at, int end) {
    long v = 0;
    for (int shift = 0; shift < 64 && at < end; shift += 7) {
      byte b = in.getByte(at++);
      v |= (long) (b & 0x7f) << shift;
      if (b >= 0) return new long[] {v, at};
    }
    return null;
  }

  private static int varintSize(int v) {
    int n = 1;
    while ((v & ~0x7f) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }
}
