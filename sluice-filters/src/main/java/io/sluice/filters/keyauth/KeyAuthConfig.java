package io.sluice.filters.keyauth;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code key-auth} filter's config.
 *
 * @param header the request header that carries the key (default {@code apikey}); read first
 * @param query the query parameter that carries the key, when keys may come in the URL (they then
 *     end up in logs and browser histories; prefer the header)
 * @param hideCredentials remove the key from the request before it goes upstream (default true)
 * @param consumerHeader a request header the upstream gets with the consumer's name (the client's
 *     own value of it is replaced)
 * @param consumers when not empty, only these Consumers pass; others get 403
 * @param realm the realm in {@code WWW-Authenticate} (default {@code sluice})
 */
public record KeyAuthConfig(
    String header, @Nullable String query, Boolean hideCredentials, @Nullable String consumerHeader,
    List<String> consumers, String realm) {
  public KeyAuthConfig {
    header = header == null ? "apikey" : header;
    hideCredentials = hideCredentials == null || hideCredentials;
    consumers = consumers == null ? List.of() : List.copyOf(consumers);
    realm = realm == null ? "sluice" : realm;
  }
}
