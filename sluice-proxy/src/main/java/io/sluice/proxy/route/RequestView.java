package io.sluice.proxy.route;

import org.jspecify.annotations.Nullable;

/**
 * What the router and the load balancers read of a request. Implemented by the proxy's request
 * head; tests and benchmarks implement it directly.
 *
 * <p>Implementations return values already normalised, so matching does no per-request
 * normalisation beyond what it needs.
 */
public interface RequestView {
  /** The method as sent, e.g. {@code GET}; methods are case-sensitive (RFC 9110 §9.1). */
  String method();

  /** The host name from the Host header (or absolute-form target), lower case, without port. */
  String host();

  /** The path with dot segments removed, without the query; starts with {@code /}. */
  String path();

  /** The raw query (after {@code ?}, without it), or null when the target had none. */
  @Nullable String query();

  /** The first value of the named header, or null; {@code lowerCaseName} must be lower case. */
  @Nullable String header(String lowerCaseName);

  /** The client's IP address as text, e.g. {@code 127.0.0.1}. */
  String clientIp();
}
