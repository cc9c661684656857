package io.sluice.proxy.route.internal;

import io.sluice.api.route.KeyMatch;
import io.sluice.proxy.route.RequestView;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * A compiled {@link KeyMatch}: a condition on one header or one query parameter. Immutable and
 * thread-safe.
 */
public final class KeyCondition {
  private enum Kind {
    EXACT,
    REGEX,
    PRESENT,
    ABSENT
  }

  private final String name;
  private final Kind kind;
  private final @Nullable String exact;
  private final @Nullable Pattern regex;

  private KeyCondition(String name, Kind kind, @Nullable String exact, @Nullable Pattern regex) {
    this.name = name;
    this.kind = kind;
    this.exact = exact;
    this.regex = regex;
  }

  /**
   * A header condition; the name is lower-cased because header names are case-insensitive.
   *
   * @throws IllegalArgumentException naming the route if the match is malformed
   */
  public static KeyCondition header(String route, KeyMatch match) {
    return compile(route, "header", match, true);
  }

  /**
   * A query parameter condition; the name is kept as is because parameter names are case-sensitive.
   *
   * @throws IllegalArgumentException naming the route if the match is malformed
   */
  public static KeyCondition query(String route, KeyMatch match) {
    return compile(route, "query", match, false);
  }

  private static KeyCondition compile(String route, String what, KeyMatch match, boolean lowerCaseName) {
    String where = "route '" + route + "': " + what + " match";
    if (match.name() == null || match.name().isBlank()) {
      throw new IllegalArgumentException(where + " has no name");
    }
    where += " '" + match.name() + "'";
    int set = (match.exact() != null ? 1 : 0)
        + (match.regex() != null ? 1 : 0)
        + (Boolean.TRUE.equals(match.present()) ? 1 : 0)
        + (Boolean.TRUE.equals(match.absent()) ? 1 : 0);
    if (set != 1) {
      throw new IllegalArgumentException(
          where + " must set exactly one of exact, regex, present: true, absent: true (has " + set + ")");
    }
    String name = lowerCaseName ? match.name().toLowerCase(Locale.ROOT) : match.name();
    if (match.exact() != null) {
      return new KeyCondition(name, Kind.EXACT, match.exact(), null);
    }
    if (match.regex() != null) {
      try {
        return new KeyCondition(name, Kind.REGEX, null, Pattern.compile(match.regex()));
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(where + ": invalid regex: " + e.getMessage(), e);
      }
    }
    return new KeyCondition(name, Boolean.TRUE.equals(match.present()) ? Kind.PRESENT : Kind.ABSENT, null, null);
  }

  /** Whether the request's (first) value of this header satisfies the condition. */
  public boolean testHeader(RequestView request) {
    String value = request.header(name);
    return switch (kind) {
      case EXACT -> exact.equals(value);
      case REGEX -> value != null && regex.matcher(value).matches();
      case PRESENT -> value != null;
      case ABSENT -> value == null;
    };
  }

  /** Whether the first value of this parameter in the raw {@code query} satisfies the condition. */
  public boolean testQuery(@Nullable String query) {
    int start = query == null ? -1 : QueryString.valueStart(query, name);
    if (start < 0) {
      return kind == Kind.ABSENT;
    }
    return switch (kind) {
      case EXACT -> QueryString.decodedEquals(query, start, QueryString.valueEnd(query, start), exact);
      case REGEX -> regex.matcher(QueryString.decode(query, start, QueryString.valueEnd(query, start))).matches();
      case PRESENT -> true;
      case ABSENT -> false;
    };
  }
}
