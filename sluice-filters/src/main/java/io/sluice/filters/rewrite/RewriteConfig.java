package io.sluice.filters.rewrite;

import org.jspecify.annotations.Nullable;

/**
 * The {@code rewrite} filter's config. At most one of {@code pathPrefix} and {@code pathRegex}.
 *
 * @param pathPrefix replaces a path prefix (on segment boundaries, like routing's {@code prefix})
 * @param pathRegex replaces the first match of a regular expression in the path, with capture groups
 * @param host the Host header to send upstream ({@code host} or {@code host:port})
 */
public record RewriteConfig(@Nullable Prefix pathPrefix, @Nullable Regex pathRegex, @Nullable String host) {
  /**
   * @param match the prefix to replace: {@code /api} matches {@code /api} and {@code /api/x}, not {@code /apix}
   * @param replace what replaces it: {@code /} sends {@code /api/x} as {@code /x}
   */
  public record Prefix(@Nullable String match, @Nullable String replace) {}

  /**
   * @param match a Java regular expression, searched in the path
   * @param replace the replacement for the first match: {@code $1} or {@code ${name}} insert a group
   */
  public record Regex(@Nullable String match, @Nullable String replace) {}
}
