package io.sluice.proxy.route.split;

import io.sluice.api.route.KeyMatch;
import io.sluice.proxy.route.RequestView;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * A condition on one cookie of the request's {@code Cookie} header (RFC 6265 §5.4: {@code a=1; b=2}).
 * The name compares case-sensitively; a value in double quotes is compared without them. Looking a
 * cookie up allocates nothing except for a {@code regex} condition, which needs the value as a
 * string. Only the first {@code Cookie} field is read (HTTP/1.1 clients send one). Immutable.
 */
final class CookieCondition {
  private enum Kind { EXACT, REGEX, PRESENT, ABSENT }

  private final String name;
  private final Kind kind;
  private final @Nullable String exact;
  private final @Nullable Pattern regex;

  private CookieCondition(String name, Kind kind, @Nullable String exact, @Nullable Pattern regex) {
    this.name = name;
    this.kind = kind;
    this.exact = exact;
    this.regex = regex;
  }

  /** @throws IllegalArgumentException naming the route when the match is malformed */
  static CookieCondition compile(String route, KeyMatch m) {
    String where = "route '" + route + "': cookie match";
    if (m.name() == null || m.name().isEmpty()) throw new IllegalArgumentException(where + " has no name");
    if (m.exact() != null) return new CookieCondition(m.name(), Kind.EXACT, m.exact(), null);
    if (m.regex() != null) {
      try {
        return new CookieCondition(m.name(), Kind.REGEX, null, Pattern.compile(m.regex()));
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(where + " '" + m.name() + "': invalid regex: " + e.getMessage(), e);
      }
    }
    if (Boolean.TRUE.equals(m.present())) return new CookieCondition(m.name(), Kind.PRESENT, null, null);
    if (Boolean.TRUE.equals(m.absent())) return new CookieCondition(m.name(), Kind.ABSENT, null, null);
    throw new IllegalArgumentException(where + " '" + m.name() + "' must set one of exact, regex, present, absent");
  }

  boolean test(RequestView request) {
    String header = request.header("cookie");
    int start = header == null ? -1 : valueStart(header, name);
    if (start < 0) return kind == Kind.ABSENT;
    int end = valueEnd(header, start);
    if (end - start >= 2 && header.charAt(start) == '"' && header.charAt(end - 1) == '"') {
      start++;
      end--;
    }
    return switch (kind) {
      case EXACT -> end - start == exact.length() && header.regionMatches(start, exact, 0, end - start);
      case REGEX -> regex.matcher(header.substring(start, end)).matches();
      case PRESENT -> true;
      case ABSENT -> false;
    };
  }

  /** Where the value of the first cookie named {@code name} starts, or -1. */
  static int valueStart(String header, String name) {
    int n = header.length();
    int i = 0;
    while (i < n) {
      while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == '\t')) i++;
      int nameStart = i;
      int eq = -1;
      while (i < n && header.charAt(i) != ';') {
        if (eq < 0 && header.charAt(i) == '=') eq = i;
        i++;
      }
      if (eq > 0) {
        int nameEnd = eq;
        while (nameEnd > nameStart && (header.charAt(nameEnd - 1) == ' ' || header.charAt(nameEnd - 1) == '\t')) nameEnd--;
        if (nameEnd - nameStart == name.length() && header.regionMatches(nameStart, name, 0, name.length())) {
          int v = eq + 1;
          while (v < i && (header.charAt(v) == ' ' || header.charAt(v) == '\t')) v++;
          return v;
        }
      }
      i++;
    }
    return -1;
  }

  /** Where the value starting at {@code start} ends (exclusive), trailing whitespace left out. */
  static int valueEnd(String header, int start) {
    int semi = header.indexOf(';', start);
    int end = semi < 0 ? header.length() : semi;
    while (end > start && (header.charAt(end - 1) == ' ' || header.charAt(end - 1) == '\t')) end--;
    return end;
  }
}
