package io.sluice.filters.iprestriction;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filters.common.Cidr;
import io.sluice.filters.common.ClientAddress;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code ip-restriction}: allows or denies clients by address, IPv4 and IPv6 (CIDR networks or
 * single addresses). A refused client gets 403 {@code ip_forbidden} (result {@code forbidden}).
 *
 * <pre>{@code
 * - kind: ip-restriction
 *   config:
 *     allow: [10.0.0.0/8, 192.168.0.0/16, "2001:db8::/32", 127.0.0.1]
 *     deny: [10.6.6.0/24]
 *     trustedHops: 1          # one load balancer in front, appending to X-Forwarded-For
 * }</pre>
 *
 * <p>Deny is checked first; then, if {@code allow} is not empty, the client must be in it. A
 * client address that cannot be read (a malformed X-Forwarded-For entry) is refused when
 * {@code allow} is set, and passes a deny-only list. The lists are scanned in order: they are
 * meant for tens of entries, not for country-sized lists.
 */
public final class IpRestrictionFilterFactory implements FilterFactory<IpRestrictionConfig> {
  @Override
  public String kind() {
    return "ip-restriction";
  }

  @Override
  public Class<IpRestrictionConfig> configType() {
    return IpRestrictionConfig.class;
  }

  @Override
  public void validate(IpRestrictionConfig c, Problems problems) {
    if (c.allow().isEmpty() && c.deny().isEmpty()) problems.add("", "no rules; expected allow or deny, lists of networks");
    check(c.allow(), "allow", problems);
    check(c.deny(), "deny", problems);
    if (c.trustedHops() < 0 || c.trustedHops() > 10) problems.add("trustedHops", "expected 0 to 10, got " + c.trustedHops());
  }

  private static void check(List<String> list, String field, Problems problems) {
    for (int i = 0; i < list.size(); i++) {
      try {
        Cidr.parse(list.get(i));
      } catch (IllegalArgumentException e) {
        problems.add(field + "[" + i + "]", String.valueOf(e.getMessage()));
      }
    }
  }

  @Override
  public Filter create(IpRestrictionConfig c, FilterEnvironment env) {
    Cidr[] allow = c.allow().stream().map(Cidr::parse).toArray(Cidr[]::new);
    Cidr[] deny = c.deny().stream().map(Cidr::parse).toArray(Cidr[]::new);
    int hops = c.trustedHops();
    FilterResult forbidden = FilterResult.respond("forbidden",
        LocalResponse.error(403, "ip_forbidden", "the client address is not allowed"));
    return new Filter() {
      /**
       * The address last parsed, for the next request: a connection's requests (and most clients'
       * connections) come from the same address, which then is not parsed into a new array again.
       * Racy by design: the record is immutable, so any thread sees a whole one, and a stale one is
       * merely a miss. The array is only read.
       */
      private @Nullable Parsed last;

      @Override
      public FilterResult onRequest(Exchange x) {
        byte[] ip = address(ClientAddress.of(x.request(), hops));
        if (ip == null) return allow.length > 0 ? forbidden : FilterResult.CONTINUE;
        for (Cidr d : deny) {
          if (d.contains(ip)) return forbidden;
        }
        if (allow.length == 0) return FilterResult.CONTINUE;
        for (Cidr a : allow) {
          if (a.contains(ip)) return FilterResult.CONTINUE;
        }
        return forbidden;
      }

      private byte @Nullable [] address(String text) {
        Parsed p = last;
        if (p != null && (p.text == text || p.text.equals(text))) return p.address;
        byte[] ip = Cidr.address(text);
        if (ip != null) last = new Parsed(text, ip);
        return ip;
      }
    };
  }

  /** A client address and its bytes. */
  private record Parsed(String text, byte[] address) {}
}
