package io.sluice.filters.basicauth;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code basic-auth} filter's config.
 *
 * @param hideCredentials remove the Authorization header before the request goes upstream (default true)
 * @param consumerHeader a request header the upstream gets with the consumer's name
 * @param consumers when not empty, only these Consumers pass; others get 403
 * @param realm the realm in {@code WWW-Authenticate} (default {@code sluice})
 */
public record BasicAuthConfig(Boolean hideCredentials, @Nullable String consumerHeader, List<String> consumers, String realm) {
  public BasicAuthConfig {
    hideCredentials = hideCredentials == null || hideCredentials;
    consumers = consumers == null ? List.of() : List.copyOf(consumers);
    realm = realm == null ? "sluice" : realm;
  }
}
