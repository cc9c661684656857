package io.sluice.filters.redirect;

import org.jspecify.annotations.Nullable;

/**
 * The {@code redirect} filter's config: what changes in the URL the client is sent to. The query is
 * always kept.
 *
 * @param status 301, 302 (default), 307 or 308
 * @param scheme {@code http} or {@code https}; default the request's
 * @param host the host name, or {@code host:port}; default the request's host
 * @param port the port; default the request's when neither scheme nor host changes, else none
 * @param path the path; default the request's
 */
public record RedirectConfig(Integer status, @Nullable String scheme, @Nullable String host, @Nullable Integer port,
    @Nullable String path) {
  public RedirectConfig {
    status = status == null ? 302 : status;
  }
}
