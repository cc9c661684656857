package io.sluice.proxy.accesslog.internal;

import java.util.Arrays;

/**
 * A line being formatted, as UTF-8 bytes: the formats append characters and numbers, the sink
 * copies the bytes out. No String and no byte[] per line. Only the writer thread uses it.
 */
public final class LineBuffer {
  private byte[] bytes = new byte[1024];
  private int length;
  private char pendingHigh;

  void reset() {
    length = 0;
    pendingHigh = 0;
  }

  byte[] bytes() {
    return bytes;
  }

  int length() {
    return length;
  }

  private void ensure(int more) {
    if (length + more > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
  }

  LineBuffer append(char c) {
    if (c < 0x80 && pendingHigh == 0) {
      ensure(1);
      bytes[length++] = (byte) c;
      return this;
    }
    ensure(4);
    if (pendingHigh != 0) {
      char high = pendingHigh;
      pendingHigh = 0;
      if (Character.isLowSurrogate(c)) {
        int cp = Character.toCodePoint(high, c);
        bytes[length++] = (byte) (0xf0 | (cp >> 18));
        bytes[length++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
        bytes[length++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
        bytes[length++] = (byte) (0x80 | (cp & 0x3f));
        return this;
      }
      bytes[length++] = '?';
      return append(c);
    }
    if (c < 0x80) {
      bytes[length++] = (byte) c;
    } else if (c < 0x800) {
      bytes[length++] = (byte) (0xc0 | (c >> 6));
      bytes[length++] = (byte) (0x80 | (c & 0x3f));
    } else if (Character.isHighSurrogate(c)) {
      pendingHigh = c;
    } else if (Character.isLowSurrogate(c)) {
      bytes[length++] = '?';
    } else {
      bytes[length++] = (byte) (0xe0 | (c >> 12));
      bytes[length++] = (byte) (0x80 | ((c >> 6) & 0x3f));
      bytes[length++] = (byte) (0x80 | (c & 0x3f));
    }
    return this;
  }

  LineBuffer append(String s) {
    for (int i = 0; i < s.length(); i++) append(s.charAt(i));
    return this;
  }

  LineBuffer append(long v) {
    if (v < 0) {
      if (v == Long.MIN_VALUE) return append(Long.toString(v));
      append('-');
      v = -v;
    }
    ensure(20);
    int start = length;
    do {
      bytes[length++] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    } while (v != 0);
    for (int i = start, j = length - 1; i < j; i++, j--) {
      byte t = bytes[i];
      bytes[i] = bytes[j];
      bytes[j] = t;
    }
    return this;
  }
}
