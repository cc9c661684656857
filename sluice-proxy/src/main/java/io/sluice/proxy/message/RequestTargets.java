package io.sluice.proxy.message;

/**
 * The request-target rules every client protocol applies the same way, so that a request routes
 * alike whatever it came over: the path's percent-encodings and dot-segments normalised (RFC 3986
 * §6.2.2), the authority validated and its host lower-cased (RFC 9110 §7.2), Content-Length digits
 * only. Used by the HTTP/2 request head; the HTTP/1.1 codec applies the same rules over its bytes.
 *
 * <p>Stateless; any thread.
 */
public final class RequestTargets {
  private RequestTargets() {}

  /**
   * The path (without query) with percent-encodings of unreserved characters decoded, the others
   * upper-cased, and dot-segments removed.
   *
   * @throws RequestRejectedException (400) a {@code %} not followed by two hex digits
   */
  public static String normalizePath(String raw) {
    String decoded = normalizePercentEncoding(raw);
    return decoded.indexOf("/.") >= 0 ? removeDotSegments(decoded) : decoded;
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  /**
   * Normalises the percent-encodings of a path (RFC 3986 §6.2.2.1–2): those of unreserved
   * characters are decoded (so {@code %2e%2e} is a dot-segment and {@code %61} routes as {@code a}),
   * the others get upper-case hex digits. Returns {@code p} itself when it has no {@code %}.
   *
   * @throws RequestRejectedException (400) a {@code %} not followed by two hex digits
   */
  public static String normalizePercentEncoding(String p) {
    int pct = p.indexOf('%');
    if (pct < 0) return p;
    StringBuilder sb = new StringBuilder(p.length());
    sb.append(p, 0, pct);
    for (int i = pct; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c != '%') {
        sb.append(c);
        continue;
      }
      int hi = i + 2 < p.length() ? hexValue(p.charAt(i + 1)) : -1;
      int lo = hi >= 0 ? hexValue(p.charAt(i + 2)) : -1;
      if (lo < 0) throw new RequestRejectedException(400, "invalid percent-encoding in request target");
      char d = (char) (hi << 4 | lo);
      if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') || d == '-' || d == '.' || d == '_' || d == '~') {
        sb.append(d);
      } else {
        sb.append('%').append(Character.toUpperCase(p.charAt(i + 1))).append(Character.toUpperCase(p.charAt(i + 2)));
      }
      i += 2;
    }
    return sb.toString();
  }

  /** RFC 3986 §5.2.4 on an absolute path; never climbs above the root. */
  public static String removeDotSegments(String p) {
    String[] segs = p.split("/", -1);
    String[] out = new String[segs.length];
    int n = 0;
    for (int i = 1; i < segs.length; i++) {
      String s = segs[i];
      boolean last = i == segs.length - 1;
      if (s.equals(".")) {
        if (last) out[n++] = "";
      } else if (s.equals("..")) {
        if (n > 0) n--;
        if (last) out[n++] = "";
      } else {
        out[n++] = s;
      }
    }
    StringBuilder sb = new StringBuilder(p.length());
    for (int i = 0; i < n; i++) sb.append('/').append(out[i]);
    return sb.isEmpty() ? "/" : sb.toString();
  }

  /**
   * The lower-cased host of {@code authority}, without its port ({@code ""} for an empty one).
   * Validates {@code reg-name [":" port]} or {@code "[" IPv6address "]" [":" port]}.
   *
   * @throws RequestRejectedException (400) an invalid authority
   */
public static String hostOf(String authority) {
    return hostOf(authority, ":authority");
  }

  /**
   * As {@link #hostOf(String)}, with {@code field} (e.g. {@code Host header field}) named in the refusal.
   *
   * @throws RequestRejectedException (400) an invalid authority
   */
    public static String hostOf(String authority, String field) {
    int n = authority.length();
    if (n == 0) return "";
    int end;
    boolean upper = false;
    if (authority.charAt(0) == '[') {
      int close = authority.indexOf(']');
      if (close < 2) throw new RequestRejectedException(400, "invalid " + field);
      for (int i = 1; i < close; i++) {
        char c = authority.charAt(i);
        if (c >= 'A' && c <= 'F') {
          upper = true;
        } else if (hexValue(c) < 0 && c != ':' && c != '.') {
          throw new RequestRejectedException(400, "invalid " + field);
        }
      }
      end = close + 1;
    } else {
      int colon = authority.indexOf(':');
      end = colon < 0 ? n : colon;
      if (end == 0) throw new RequestRejectedException(400, "invalid " + field);
      for (int i = 0; i < end; i++) {
        char c = authority.charAt(i);
        if (c >= 'A' && c <= 'Z') {
          upper = true;
        } else if (c == '%') {
          if (i + 2 >= end || hexValue(authority.charAt(i + 1)) < 0 || hexValue(authority.charAt(i + 2)) < 0) {
            throw new RequestRejectedException(400, "invalid " + field);
          }
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '~')) {
          throw new RequestRejectedException(400, "invalid " + field);
        }
      }
    }
    if (end < n) {
      if (authority.charAt(end) != ':') throw new RequestRejectedException(400, "invalid " + field);
      for (int i = end + 1; i < n; i++) {
        char c = authority.charAt(i);
        if (c < '0' || c > '9') throw new RequestRejectedException(400, "invalid port in " + field);
      }
    }
    String h = authority.substring(0, end);
    return upper ? h.toLowerCase(java.util.Locale.ROOT) : h;
  }

  /**
   * A Content-Length value: digits only, at most 18 of them.
   *
   * @throws RequestRejectedException (400) anything else
   */
  public static long contentLength(String value) {
    String v = value.trim();
    if (v.isEmpty() || v.length() > 18) throw new RequestRejectedException(400, "invalid Content-Length '" + value + "'");
    long n = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') throw new RequestRejectedException(400, "invalid Content-Length '" + value + "'");
      n = n * 10 + (c - '0');
    }
    return n;
  }
}
