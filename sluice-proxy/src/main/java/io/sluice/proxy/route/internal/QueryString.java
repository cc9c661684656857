package io.sluice.proxy.route.internal;

import java.nio.charset.StandardCharsets;

/**
 * Reads parameters out of a raw query string ({@code a=1&b=&c}) in place: names and values are
 * percent-decoded ({@code +} is a space) only when they contain an escape, so looking a parameter
 * up allocates nothing in the common case. The first occurrence of a name wins; a parameter
 * without {@code =} has the empty value. Malformed escapes are kept as they are.
 */
final class QueryString {
  private QueryString() {}

  /**
   * Where the value of the first parameter named {@code name} (decoded) starts in {@code query},
   * or -1 if there is none. The value ends at {@link #valueEnd}.
   */
  static int valueStart(String query, String name) {
    int length = query.length();
    int pairStart = 0;
    while (pairStart <= length) {
      int nameEnd = -1;
      int pairEnd = pairStart;
      for (; pairEnd < length; pairEnd++) {
        char c = query.charAt(pairEnd);
        if (c == '&') {
          break;
        }
        if (c == '=' && nameEnd < 0) {
          nameEnd = pairEnd;
        }
      }
      if (nameEnd < 0) {
        if (decodedEquals(query, pairStart, pairEnd, name)) {
          return pairEnd;
        }
      } else if (decodedEquals(query, pairStart, nameEnd, name)) {
        return nameEnd + 1;
      }
      pairStart = pairEnd + 1;
    }
    return -1;
  }

  /** Where the value starting at {@code valueStart} ends (exclusive). */
  static int valueEnd(String query, int valueStart) {
    int amp = query.indexOf('&', valueStart);
    return amp < 0 ? query.length() : amp;
  }

  /** Whether the decoded form of {@code text[from, to)} equals {@code expected}. */
  static boolean decodedEquals(String text, int from, int to, String expected) {
    if (hasEscape(text, from, to)) {
      return decode(text, from, to).equals(expected);
    }
    int length = to - from;
    return length == expected.length() && text.regionMatches(from, expected, 0, length);
  }

  /** The decoded form of {@code text[from, to)}: {@code %XX} sequences as UTF-8, {@code +} as a space. */
  static String decode(String text, int from, int to) {
    if (!hasEscape(text, from, to)) {
      return text.substring(from, to);
    }
    StringBuilder out = new StringBuilder(to - from);
    byte[] bytes = null;
    int i = from;
    while (i < to) {
      char c = text.charAt(i);
      if (isPercentEscape(text, i, to)) {
        // A run of escapes is decoded together: a multi-byte UTF-8 character spans several.
        if (bytes == null) {
          bytes = new byte[(to - i) / 3];
        }
        int count = 0;
        while (isPercentEscape(text, i, to)) {
          bytes[count++] = (byte) (hexValue(text.charAt(i + 1)) << 4 | hexValue(text.charAt(i + 2)));
          i += 3;
        }
        out.append(new String(bytes, 0, count, StandardCharsets.UTF_8));
      } else {
        out.append(c == '+' ? ' ' : c);
        i++;
      }
    }
    return out.toString();
  }

  private static boolean hasEscape(String text, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c == '%' || c == '+') {
        return true;
      }
    }
    return false;
  }

  private static boolean isPercentEscape(String text, int i, int to) {
    return i + 2 < to
        && text.charAt(i) == '%'
        && hexValue(text.charAt(i + 1)) >= 0
        && hexValue(text.charAt(i + 2)) >= 0;
  }

  // Not Character.digit: that accepts non-ASCII digits, which are not hex digits in a URI.
  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
