package io.sluice.filter;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reading and removing parameters of a raw query ({@code a=1&b=x%20y}), the way routing reads them:
 * names and values are percent-decoded as UTF-8 with {@code +} as a space; names are case-sensitive;
 * the first occurrence wins; {@code a} alone has the empty value.
 */
public final class QueryParameters {
  private QueryParameters() {}

  /** The decoded value of the first parameter named {@code name}, or null when there is none. */
  public static @Nullable String get(@Nullable String query, String name) {
    if (query == null || query.isEmpty()) return null;
    int i = 0;
    int n = query.length();
    while (i <= n) {
      int amp = query.indexOf('&', i);
      int end = amp < 0 ? n : amp;
      if (end > i) {
        int eq = query.indexOf('=', i);
        int nameEnd = eq < 0 || eq > end ? end : eq;
        if (nameMatches(query, i, nameEnd, name)) {
          return nameEnd == end ? "" : decode(query.substring(nameEnd + 1, end));
        }
      }
      if (amp < 0) break;
      i = amp + 1;
    }
    return null;
  }

  /**
   * The raw query without any parameter named {@code name}, the others kept as they were written;
   * null when nothing is left.
   */
  public static @Nullable String remove(@Nullable String query, String name) {
    if (query == null || query.isEmpty()) return null;
    StringBuilder out = null;
    int i = 0;
    int n = query.length();
    boolean removed = false;
    while (i <= n) {
      int amp = query.indexOf('&', i);
      int end = amp < 0 ? n : amp;
      int eq = query.indexOf('=', i);
      int nameEnd = eq < 0 || eq > end ? end : eq;
      if (end > i && nameMatches(query, i, nameEnd, name)) {
        removed = true;
      } else if (end > i) {
        if (out == null) out = new StringBuilder(query.length());
        if (!out.isEmpty()) out.append('&');
        out.append(query, i, end);
      }
      if (amp < 0) break;
      i = amp + 1;
    }
    if (!removed) return query;
    return out == null || out.isEmpty() ? null : out.toString();
  }

  private static boolean nameMatches(String query, int start, int end, String name) {
    boolean encoded = false;
    for (int k = start; k < end; k++) {
      char c = query.charAt(k);
      if (c == '%' || c == '+') {
        encoded = true;
        break;
      }
    }
    if (!encoded) return end - start == name.length() && query.startsWith(name, start);
    return decode(query.substring(start, end)).equals(name);
  }

  private static String decode(String s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // a malformed escape is taken literally, as routing does
    }
  }
}
