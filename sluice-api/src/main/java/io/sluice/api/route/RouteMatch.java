package io.sluice.api.route;

import java.util.List;

/**
 * The request conditions of a route; all of them must hold.
 *
 * @param path how the path is matched; default {@code prefix: /}
 * @param methods request methods, upper case; empty means any
 * @param headers header conditions, all must hold; names are case-insensitive
 * @param query query parameter conditions, all must hold; names are case-sensitive
 */
public record RouteMatch(PathMatch path, List<String> methods, List<KeyMatch> headers, List<KeyMatch> query) {
  @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
  public static final RouteMatch ANY = new RouteMatch(null, null, null, null);

  public RouteMatch {
    path = path == null ? PathMatch.ANY : path;
    methods = methods == null ? List.of() : List.copyOf(methods);
    headers = headers == null ? List.of() : List.copyOf(headers);
    query = query == null ? List.of() : List.copyOf(query);
  }
}
