package io.sluice.api.validate;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.route.CanaryRule;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.route.WeightedUpstream;
import io.sluice.api.upstream.UpstreamSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Warnings, not errors: a valid configuration in which a route sends requests to the gateway's own
 * listener that serves that route, so every request would come back to it (the data plane answers
 * such a request 508 {@code loop_detected}). A route may proxy to another listener of the same
 * gateway; only a listener that also serves the route makes a loop.
 *
 * <p>Addresses are compared as written, with {@code localhost} taken as {@code 127.0.0.1}, and a
 * listener on a wildcard address ({@code 0.0.0.0}, {@code [::]}) matching any loopback endpoint on
 * its port; host names are not resolved. Stateless.
 */
public final class LoopWarnings {
  private LoopWarnings() {}

  /** The warnings of {@code set}, one per route, upstream field and looping endpoint. */
  public static List<ConfigError> of(ConfigSet set) {
    Map<String, UpstreamSpec> upstreams = new HashMap<>();
    for (ConfigObject<UpstreamSpec> u : set.upstreams()) upstreams.put(u.name(), u.spec());
    List<ConfigError> out = new ArrayList<>();
    for (ConfigObject<RouteSpec> r : set.routes()) {
      RouteSpec s = r.spec();
      if (s.upstream() != null) check(set, r, "spec.upstream", s.upstream(), upstreams, out);
      for (int i = 0; i < s.upstreams().size(); i++) {
        WeightedUpstream w = s.upstreams().get(i);
        check(set, r, "spec.upstreams[" + i + "].name", w.name(), upstreams, out);
      }
      for (int i = 0; i < s.canary().size(); i++) {
        CanaryRule c = s.canary().get(i);
        check(set, r, "spec.canary[" + i + "].upstream", c.upstream(), upstreams, out);
      }
    }
    return out;
  }

  private static void check(ConfigSet set, ConfigObject<RouteSpec> route, String field, String upstream,
      Map<String, UpstreamSpec> upstreams, List<ConfigError> out) {
    UpstreamSpec u = upstreams.get(upstream);
    if (u == null) return;
    for (ConfigObject<ListenerSpec> l : set.listeners()) {
      List<String> on = route.spec().listeners();
      if (!on.isEmpty() && !on.contains(l.name())) continue;
      for (UpstreamSpec.Endpoint e : u.endpoints()) {
        if (!sameAddress(l.spec().address(), e.address())) continue;
        out.add(new ConfigError(route.source(), route.ref(), field, "upstream " + upstream + "'s endpoint " + e.address()
            + " is listener " + l.name() + " (" + l.spec().address() + "), which serves this route: its requests would come"
            + " back to it (the gateway answers them 508 loop_detected); restrict the route with spec.listeners"));
      }
    }
  }

  /** Whether an endpoint at {@code endpoint} reaches a listener bound to {@code listener} (both {@code host:port}). */
  static boolean sameAddress(String listener, String endpoint) {
    String[] l = split(listener);
    String[] e = split(endpoint);
    if (l == null || e == null || !l[1].equals(e[1])) return false;
    String lh = canonical(l[0]);
    String eh = canonical(e[0]);
    if (lh.equals(eh)) return true;
    boolean wildcard = lh.equals("0.0.0.0") || lh.equals("::") || lh.isEmpty() || lh.equals("*");
    return wildcard && isLoopback(eh);
  }

  private static String @Nullable [] split(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) return null;
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    return new String[] {host, address.substring(colon + 1)};
  }

  private static String canonical(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") ? "127.0.0.1" : h.equals("0:0:0:0:0:0:0:1") ? "::1" : h;
  }

  private static boolean isLoopback(String host) {
    return host.startsWith("127.") || host.equals("::1");
  }
}
