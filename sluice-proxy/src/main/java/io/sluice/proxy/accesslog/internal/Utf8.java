package io.sluice.proxy.accesslog.internal;

import java.nio.ByteBuffer;

/** Encodes characters as UTF-8 straight into a buffer: no intermediate String or byte array per line. */
final class Utf8 {
  private Utf8() {}

  /** The encoded length of {@code s}. */
  static int length(CharSequence s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        n++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Writes {@code s}; the buffer must have {@link #length} bytes left. Lone surrogates become '?'. */
  static void encode(CharSequence s, ByteBuffer out) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        out.put((byte) c);
      } else if (c < 0x800) {
        out.put((byte) (0xc0 | (c >> 6))).put((byte) (0x80 | (c & 0x3f)));
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        out.put((byte) (0xf0 | (cp >> 18))).put((byte) (0x80 | ((cp >> 12) & 0x3f)))
            .put((byte) (0x80 | ((cp >> 6) & 0x3f))).put((byte) (0x80 | (cp & 0x3f)));
      } else if (Character.isSurrogate(c)) {
        out.put((byte) '?');
      } else {
        out.put((byte) (0xe0 | (c >> 12))).put((byte) (0x80 | ((c >> 6) & 0x3f))).put((byte) (0x80 | (c & 0x3f)));
      }
    }
  }
}
