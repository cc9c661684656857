package io.sluice.api.route;

import org.jspecify.annotations.Nullable;

/**
 * How a route matches the request path (the part before {@code ?}, after dot segments are removed).
 * Exactly one field is set.
 *
 * @param exact the whole path, e.g. {@code /healthz}
 * @param prefix a path prefix on segment boundaries: {@code /api} matches {@code /api} and
 *     {@code /api/x}, not {@code /apix}
 * @param regex a Java regular expression the whole path must match
 * @param template segments with {@code {name}} placeholders that match one segment each, e.g.
 *     {@code /users/{id}/orders}
 */
public record PathMatch(
    @Nullable String exact, @Nullable String prefix, @Nullable String regex, @Nullable String template) {
  public static final PathMatch ANY = new PathMatch(null, "/", null, null);

  public static PathMatch exact(String path) {
    return new PathMatch(path, null, null, null);
  }

  public static PathMatch prefix(String prefix) {
    return new PathMatch(null, prefix, null, null);
  }

  public static PathMatch regex(String regex) {
    return new PathMatch(null, null, regex, null);
  }

  public static PathMatch template(String template) {
    return new PathMatch(null, null, null, template);
  }
}
