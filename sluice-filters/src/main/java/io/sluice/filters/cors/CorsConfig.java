package io.sluice.filters.cors;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code cors} filter's config (the Fetch standard's CORS protocol).
 *
 * @param allowOrigins origins allowed to call: {@code https://app.example}, patterns with {@code *}
 *     for any run of host characters ({@code https://*.example.com}), or {@code *} for any origin;
 *     required
 * @param allowMethods methods a preflight allows (default GET, HEAD, POST)
 * @param allowHeaders request headers a preflight allows; {@code *} allows whatever the preflight asks for
 * @param exposeHeaders response headers the browser lets the page read
 * @param allowCredentials whether the browser may send cookies and credentials (never with {@code *} origins)
 * @param maxAge how long the browser may cache a preflight answer (default 5s, the browsers' own default)
 */
public record CorsConfig(
    List<String> allowOrigins, List<String> allowMethods, List<String> allowHeaders, List<String> exposeHeaders,
    Boolean allowCredentials, @Nullable Duration maxAge) {
  public CorsConfig {
    allowOrigins = allowOrigins == null ? List.of() : List.copyOf(allowOrigins);
    allowMethods = allowMethods == null ? List.of("GET", "HEAD", "POST") : List.copyOf(allowMethods);
    allowHeaders = allowHeaders == null ? List.of() : List.copyOf(allowHeaders);
    exposeHeaders = exposeHeaders == null ? List.of() : List.copyOf(exposeHeaders);
    allowCredentials = allowCredentials != null && allowCredentials;
  }
}
