package io.sluice.filters.grpcweb;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * Base64 (RFC 4648 §4, with padding) over a body that arrives and leaves in pieces, as gRPC-Web's
 * text mode needs: the decoder takes whole 4-character groups and keeps a partial group for the
 * next piece; a group may end in padding, so a body of separately encoded segments (each message
 * base64'd on its own, as gRPC-Web clients may send) decodes too. The encoder keeps up to 2 bytes
 * back so that what it emits has no padding until {@link #finish}.
 *
 * <p>Not thread-safe: one instance per body, used on the exchange's event loop.
 */
final class Base64Pieces {
  private static final byte[] EMPTY = new byte[0];
  private static final int[] VALUE = new int[128];

  static {
    java.util.Arrays.fill(VALUE, -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < alphabet.length(); i++) VALUE[alphabet.charAt(i)] = i;
  }

  private final byte[] carry = new byte[4];
  private int carried;
  private long offset;

  /** Thrown for bytes that are not base64; the message names the offset in the body and the byte. */
  static final class InvalidBase64Exception extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidBase64Exception(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Decodes the whole groups of what was carried plus {@code in}; keeps a partial group back.
   *
   * @throws InvalidBase64Exception a character outside the alphabet, or padding other than at a group's end
   */
  byte[] decode(ByteBuffer in) throws InvalidBase64Exception {
    int total = carried + in.remaining();
    if (total < 4) {
      while (in.hasRemaining()) carry[carried++] = in.get();
      return EMPTY;
    }
    byte[] out = new byte[total / 4 * 3];
    int n = 0;
    byte[] group = new byte[4];
    while (carried + in.remaining() >= 4) {
      for (int i = 0; i < 4; i++) group[i] = i < carried ? carry[i] : in.get();
      carried = 0;
      n = decodeGroup(group, out, n);
    }
    while (in.hasRemaining()) carry[carried++] = in.get();
    return n == out.length ? out : java.util.Arrays.copyOf(out, n);
  }

  /** Whether a partial group is left over (at the end of the body: the text was cut short). */
  boolean hasPartialGroup() {
    return carried > 0;
  }

  private int decodeGroup(byte[] g, byte[] out, int n) throws InvalidBase64Exception {
    int pad = g[3] == '=' ? (g[2] == '=' ? 2 : 1) : 0;
    int bits = 0;
    for (int i = 0; i < 4 - pad; i++) {
      int c = g[i] & 0xff;
      int v = c < 128 ? VALUE[c] : -1;
      if (v < 0) {
        throw new InvalidBase64Exception("invalid base64 at byte " + (offset + i) + " of the body: "
            + (c >= 0x21 && c < 0x7f ? "'" + (char) c + "'" : "0x" + Integer.toHexString(c))
            + "; expected A-Z, a-z, 0-9, + or / (and = at the end of a group of 4)");
      }
      bits |= v << (18 - 6 * i);
    }
    offset += 4;
    out[n++] = (byte) (bits >> 16);
    if (pad < 2) out[n++] = (byte) (bits >> 8);
    if (pad < 1) out[n++] = (byte) bits;
    return n;
  }

  /** Encodes what was carried plus {@code in}, keeping back the bytes past the last whole 3. */
  byte[] encode(ByteBuffer in) {
    int total = carried + in.remaining();
    int whole = total / 3 * 3;
    if (whole == 0) {
      while (in.hasRemaining()) carry[carried++] = in.get();
      return EMPTY;
    }
    byte[] plain = new byte[whole];
    System.arraycopy(carry, 0, plain, 0, carried);
    in.get(plain, carried, whole - carried);
    carried = 0;
    while (in.hasRemaining()) carry[carried++] = in.get();
    return Base64.getEncoder().encode(plain);
  }

  /** Encodes what was carried plus {@code last}, with padding: the end of a segment. */
  byte[] finish(byte[] last) {
    byte[] plain = new byte[carried + last.length];
    System.arraycopy(carry, 0, plain, 0, carried);
    System.arraycopy(last, 0, plain, carried, last.length);
    carried = 0;
    return Base64.getEncoder().encode(plain);
  }
}
