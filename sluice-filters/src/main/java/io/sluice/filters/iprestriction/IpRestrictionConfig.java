package io.sluice.filters.iprestriction;

import java.util.List;

/**
 * The {@code ip-restriction} filter's config.
 *
 * @param allow when not empty, only clients in one of these networks pass
 * @param deny clients in one of these networks are refused (deny wins over allow)
 * @param trustedHops how many proxies in front of the gateway append to X-Forwarded-For; the
 *     client is the address they saw (default 0: the TCP peer)
 */
public record IpRestrictionConfig(List<String> allow, List<String> deny, Integer trustedHops) {
  public IpRestrictionConfig {
    allow = allow == null ? List.of() : List.copyOf(allow);
    deny = deny == null ? List.of() : List.copyOf(deny);
    trustedHops = trustedHops == null ? 0 : trustedHops;
  }
}
