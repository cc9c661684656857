package io.sluice.filters.common;

import io.sluice.filter.Request;
import java.util.List;

/**
 * The client's address as filters that trust proxies in front of the gateway see it. With
 * {@code trustedHops} 0 it is the address of the TCP connection. With N &gt; 0 the N nearest hops
 * are trusted proxies that append to X-Forwarded-For, so the client is the N-th address from the
 * right of X-Forwarded-For (all its fields read as one list); when the header has fewer than N
 * addresses, the connection's address is used (Envoy's {@code xff_num_trusted_hops}). Addresses to
 * the left of it were written by the client and are never trusted.
 */
public final class ClientAddress {
  private ClientAddress() {}

  public static String of(Request request, int trustedHops) {
    if (trustedHops <= 0) return request.clientIp();
    List<String> fields = request.headers().getAll("x-forwarded-for");
    if (fields.isEmpty()) return request.clientIp();
    int needed = trustedHops;
    for (int f = fields.size() - 1; f >= 0; f--) {
      String v = fields.get(f);
      int end = v.length();
      while (end > 0) {
        int comma = v.lastIndexOf(',', end - 1);
        String part = v.substring(comma + 1, end).strip();
        end = comma < 0 ? 0 : comma;
        if (part.isEmpty()) continue;
        if (--needed == 0) return part;
      }
    }
    return request.clientIp();
  }
}
