package io.sluice.server;

import io.sluice.admin.RouteTestRequest;
import io.sluice.admin.RouteTestResult;
import io.sluice.admin.RouteTester;
import io.sluice.api.ConfigObject;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.proxy.Gateway;
import io.sluice.proxy.RouteDecision;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Answers route tests with the running gateway. The listener is the one the request names, else
 * the one that would receive a connection to the URL's host and port: a listener bound to that
 * port on that address or on the wildcard address ({@code 0.0.0.0}, {@code [::]}). {@code localhost}
 * means the loopback addresses; a host name that is not an address (such as {@code api.example.com},
 * which resolves elsewhere) is not looked up and matches on the port alone, as the gateway usually
 * sits behind that name. When no listener serves the address, or none of its routes matches, the
 * result says so and why.
 *
 * <p>Thread-safe (the gateway's reads are); runs on the admin API's threads, never on the data plane.
 */
final class GatewayRouteTester implements RouteTester {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final Gateway gateway;

  GatewayRouteTester(Gateway gateway) {
    this.gateway = Objects.requireNonNull(gateway, "gateway");
  }

  @Override
  public RouteTestResult test(RouteTestRequest r) {
    String listener = r.listener();
    if (listener == null) {
      listener = listenerFor(r.url());
      if (listener == null) {
        return RouteTestResult.noMatch(null, "no listener serves " + authority(r.url()) + "; listeners: " + listeners());
      }
    }
    List<Map.Entry<String, String>> headers = r.headers().stream().map(h -> Map.entry(h.name(), h.value())).toList();
    RouteDecision d = gateway.explain(listener, r.method(), r.url().toString(), headers);
    if (!d.matched()) {
      String target = r.url().getRawPath() == null || r.url().getRawPath().isEmpty() ? "/" : r.url().getRawPath();
      return RouteTestResult.noMatch(d.listener(), "no route of listener '" + d.listener() + "' matches " + r.method() + " "
          + target + " with Host " + r.url().getRawAuthority() + " (the proxy answers 404)");
    }
    return new RouteTestResult(true, d.listener(), d.route(), d.upstream(), d.filters(), d.path(), d.host());
  }

  /** The listener (first by configuration order) that a connection to the URL's host and port reaches, or null. */
  private @Nullable String listenerFor(URI url) {
    int port = port(url);
    List<InetAddress> addresses = addressesOf(hostOf(url));
    for (ConfigObject<ListenerSpec> l : gateway.config().listeners()) {
      InetSocketAddress bound = gateway.boundAddress(l.name());
      if (bound == null || bound.getPort() != port) continue;
      InetAddress a = bound.getAddress();
      if (addresses == null || a == null || a.isAnyLocalAddress() || addresses.contains(a)) return l.name();
    }
    return null;
  }

  private static int port(URI url) {
    if (url.getPort() != -1) return url.getPort();
    return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
  }

  private static String hostOf(URI url) {
    String host = Objects.requireNonNull(url.getHost(), "url host");
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /**
   * The addresses {@code host} stands for, or null for a name that is not an address: names are
   * not resolved here (a DNS lookup from the admin API would be slow and say little about how
   * clients reach the gateway).
   */
  private static @Nullable List<InetAddress> addressesOf(String host) {
    try {
      if (host.equalsIgnoreCase("localhost")) {
        return List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1"));
      }
      // A literal is parsed, never looked up.
      if (IPV4.matcher(host).matches() || host.indexOf(':') >= 0) return List.of(InetAddress.getByName(host));
    } catch (UnknownHostException e) {
      return List.of();
    }
    return null;
  }

  private static String authority(URI url) {
    String host = hostOf(url);
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host.toLowerCase(Locale.ROOT)) + ":" + port(url);
  }

  /** {@code main on 127.0.0.1:8080, admin on 0.0.0.0:8443}, or {@code (none)}. */
  private String listeners() {
    List<String> out = new ArrayList<>();
    for (ConfigObject<ListenerSpec> l : gateway.config().listeners()) {
      InetSocketAddress bound = gateway.boundAddress(l.name());
      out.add(l.name() + " on " + (bound == null ? l.spec().address() + " (not bound)" : ServeCommand.format(bound)));
    }
    return out.isEmpty() ? "(none)" : String.join(", ", out);
  }
}
