package io.sluice.api.validate;

import io.sluice.api.ByteSize;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.route.DirectResponse;
import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.LoadBalancer;
import io.sluice.api.upstream.UpstreamSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a whole set of objects: names, every field's value, references between objects, and
 * conflicts between them (duplicate names, port clashes). Every error is reported, each naming its
 * source, object and field. Stateless and thread-safe.
 */
public final class Validator {
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  private static final Pattern HOST_NAME = Pattern.compile("(\\*\\.)?[A-Za-z0-9_]([-A-Za-z0-9_]*)(\\.[A-Za-z0-9_][-A-Za-z0-9_]*)*");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

  private Validator() {}

  /** Returns every error in {@code objects}; empty when they form a valid configuration. */
  public static List<ConfigError> validate(Collection<? extends ConfigObject<?>> objects) {
    Check c = new Check();
    Map<String, ConfigObject<?>> seen = new HashMap<>();
    Set<String> listeners = new HashSet<>();
    Set<String> upstreams = new HashSet<>();
    for (ConfigObject<?> o : objects) {
      String name = o.name();
      if (name.isEmpty() || name.length() > 253 || !NAME.matcher(name).matches()) {
        c.add(o, "metadata.name", "invalid name '" + name + "': expected lower-case letters, digits, '-' and '.', "
            + "starting and ending with a letter or digit, at most 253 characters");
      }
      ConfigObject<?> previous = seen.putIfAbsent(o.ref(), o);
      if (previous != null) {
        c.add(o, "metadata.name", "duplicate name: " + o.ref() + " is also defined in " + previous.source());
      }
      if (o.kind() == Kind.LISTENER) listeners.add(name);
      if (o.kind() == Kind.UPSTREAM) upstreams.add(name);
    }
    List<ConfigObject<?>> listenerObjects = new ArrayList<>();
    for (ConfigObject<?> o : objects) {
      switch (o.spec()) {
        case ListenerSpec l -> {
          listener(c, o, l);
          listenerObjects.add(o);
        }
        case RouteSpec r -> route(c, o, r, listeners, upstreams);
        case UpstreamSpec u -> upstream(c, o, u);
        default -> c.add(o, "spec", "unsupported spec " + o.spec().getClass().getSimpleName());
      }
    }
    portClashes(c, listenerObjects);
    return c.errors;
  }

  private static void listener(Check c, ConfigObject<?> o, ListenerSpec l) {
    if (l.address() == null) {
      c.add(o, "spec.address", "missing; expected host:port such as 127.0.0.1:8080");
    } else {
      hostPort(c, o, "spec.address", l.address());
    }
    ListenerSpec.Limits lim = l.limits();
    if (lim.maxHeaderSize().bytes() < 1024) c.add(o, "spec.limits.maxHeaderSize", "must be at least 1KiB, got " + lim.maxHeaderSize());
    if (lim.maxHeaderSize().bytes() > 1024 * 1024) c.add(o, "spec.limits.maxHeaderSize", "must be at most 1MiB, got " + lim.maxHeaderSize());
    if (lim.maxUriLength() < 64) c.add(o, "spec.limits.maxUriLength", "must be at least 64, got " + lim.maxUriLength());
    if (lim.maxConnections() < 1) c.add(o, "spec.limits.maxConnections", "must be at least 1, got " + lim.maxConnections());
    if (lim.maxHeaderCount() < 1) c.add(o, "spec.limits.maxHeaderCount", "must be at least 1, got " + lim.maxHeaderCount());
    ByteSize body = lim.maxBodySize();
    if (body != null && body.bytes() < 1) c.add(o, "spec.limits.maxBodySize", "must be at least 1 byte, got " + body);
    positive(c, o, "spec.timeouts.idle", l.timeouts().idle());
    positive(c, o, "spec.timeouts.headerRead", l.timeouts().headerRead());
    positive(c, o, "spec.timeouts.drain", l.timeouts().drain());
  }

  private static void portClashes(Check c, List<ConfigObject<?>> listeners) {
    Map<Integer, ConfigObject<?>> wildcard = new HashMap<>();
    Map<String, ConfigObject<?>> exact = new HashMap<>();
    Map<Integer, List<ConfigObject<?>>> byPort = new HashMap<>();
    for (ConfigObject<?> o : listeners) {
      String addr = ((ListenerSpec) o.spec()).address();
      String[] hp = splitHostPort(addr);
      if (hp == null) continue;
      int port = Integer.parseInt(hp[1]);
      String host = hp[0];
      boolean any = host.equals("0.0.0.0") || host.equals("::") || host.equals("*");
      ConfigObject<?> clash = exact.get(host + "|" + port);
      if (clash == null) clash = wildcard.get(port);
      if (clash == null && any && byPort.containsKey(port)) clash = byPort.get(port).get(0);
      if (clash != null && port != 0) {
        c.add(o, "spec.address", "port clash: " + addr + " overlaps " + clash.ref() + " ("
            + ((ListenerSpec) clash.spec()).address() + ")");
      }
      exact.putIfAbsent(host + "|" + port, o);
      if (any) wildcard.putIfAbsent(port, o);
      byPort.computeIfAbsent(port, p -> new ArrayList<>()).add(o);
    }
  }

  private static void route(Check c, ConfigObject<?> o, RouteSpec r, Set<String> listeners, Set<String> upstreams) {
    for (int i = 0; i < r.listeners().size(); i++) {
      String l = r.listeners().get(i);
      if (!listeners.contains(l)) c.add(o, "spec.listeners[" + i + "]", "Listener '" + l + "' does not exist");
    }
    for (int i = 0; i < r.hosts().size(); i++) {
      String h = r.hosts().get(i);
      if (h == null || !HOST_NAME.matcher(h).matches()) {
        c.add(o, "spec.hosts[" + i + "]", "invalid host '" + h + "': expected a host name such as api.example.com "
            + "or a wildcard such as *.example.com, without port");
      }
    }
    if (r.upstream() == null && r.directResponse() == null) {
      c.add(o, "spec.upstream", "missing; a route needs either upstream or directResponse");
    } else if (r.upstream() != null && r.directResponse() != null) {
      c.add(o, "spec.upstream", "upstream and directResponse are exclusive; set one of them");
    } else if (r.upstream() != null && !upstreams.contains(r.upstream())) {
      c.add(o, "spec.upstream", "Upstream '" + r.upstream() + "' does not exist");
    }
    PathMatch p = r.match().path();
    int kinds = (p.exact() != null ? 1 : 0) + (p.prefix() != null ? 1 : 0) + (p.regex() != null ? 1 : 0)
        + (p.template() != null ? 1 : 0);
    if (kinds != 1) {
      c.add(o, "spec.match.path", "set exactly one of exact, prefix, regex, template; got " + kinds);
    }
    slashPath(c, o, "spec.match.path.exact", p.exact());
    slashPath(c, o, "spec.match.path.prefix", p.prefix());
    slashPath(c, o, "spec.match.path.template", p.template());
    regex(c, o, "spec.match.path.regex", p.regex());
    if (p.template() != null) template(c, o, p.template());
    for (int i = 0; i < r.match().methods().size(); i++) {
      String m = r.match().methods().get(i);
      if (m == null || !TOKEN.matcher(m).matches() || !m.equals(m.toUpperCase(java.util.Locale.ROOT))) {
        c.add(o, "spec.match.methods[" + i + "]", "invalid method '" + m + "': expected an upper-case token such as GET");
      }
    }
    keyMatches(c, o, "spec.match.headers", r.match().headers(), true);
    keyMatches(c, o, "spec.match.query", r.match().query(), false);
    if (r.rewrite() != null) {
      String prefix = r.rewrite().pathPrefix();
      if (prefix != null) {
        if (p.prefix() == null) {
          c.add(o, "spec.rewrite.pathPrefix", "needs a prefix path match (spec.match.path.prefix)");
        }
        slashPath(c, o, "spec.rewrite.pathPrefix", prefix);
      }
      String host = r.rewrite().host();
      if (host != null) {
        String bare = host.startsWith("[") ? host : host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
        if (host.isEmpty() || (!bare.startsWith("[") && !HOST_NAME.matcher(bare).matches()) || bare.startsWith("*")) {
          c.add(o, "spec.rewrite.host", "invalid host '" + host + "': expected host or host:port");
        }
      }
    }
    DirectResponse d = r.directResponse();
    if (d != null) {
      if (d.status() < 200 || d.status() > 599) {
        c.add(o, "spec.directResponse.status", "must be 200 to 599, got " + d.status());
      }
      if (d.echo() && d.body() != null) {
        c.add(o, "spec.directResponse.body", "echo: true answers with the request; leave body out");
      }
      for (String h : d.headers().keySet()) {
        if (!TOKEN.matcher(h).matches()) {
          c.add(o, "spec.directResponse.headers." + h, "invalid header name '" + h + "'");
        }
      }
      for (Map.Entry<String, String> h : d.headers().entrySet()) {
        if (h.getValue() == null || h.getValue().chars().anyMatch(ch -> (ch < 0x20 && ch != '\t') || ch == 0x7f)) {
          c.add(o, "spec.directResponse.headers." + h.getKey(), "invalid header value: control characters are not allowed");
        }
      }
    }
  }

  private static void template(Check c, ConfigObject<?> o, String t) {
    Set<String> names = new HashSet<>();
    for (String seg : t.split("/", -1)) {
      if (seg.indexOf('{') < 0 && seg.indexOf('}') < 0) continue;
      var m = PLACEHOLDER.matcher(seg);
      if (!m.matches()) {
        c.add(o, "spec.match.path.template", "invalid segment '" + seg + "' in '" + t
            + "': a placeholder {name} must be a whole segment");
      } else if (!names.add(m.group(1))) {
        c.add(o, "spec.match.path.template", "placeholder {" + m.group(1) + "} appears twice in '" + t + "'");
      }
    }
  }

  private static void keyMatches(Check c, ConfigObject<?> o, String field, List<KeyMatch> list, boolean header) {
    for (int i = 0; i < list.size(); i++) {
      KeyMatch k = list.get(i);
      String f = field + "[" + i + "]";
      if (k == null) {
        c.add(o, f, "expected an object with a name and one of exact, regex, present, absent");
        continue;
      }
      if (k.name() == null || k.name().isEmpty()) {
        c.add(o, f + ".name", "missing");
      } else if (header && !TOKEN.matcher(k.name()).matches()) {
        c.add(o, f + ".name", "invalid header name '" + k.name() + "'");
      }
      int set = (k.exact() != null ? 1 : 0) + (k.regex() != null ? 1 : 0) + (Boolean.TRUE.equals(k.present()) ? 1 : 0)
          + (Boolean.TRUE.equals(k.absent()) ? 1 : 0);
      if (set != 1) {
        c.add(o, f, "set exactly one of exact, regex, present: true, absent: true; got " + set);
      }
      regex(c, o, f + ".regex", k.regex());
    }
  }

  private static void upstream(Check c, ConfigObject<?> o, UpstreamSpec u) {
    if (u.endpoints().isEmpty()) {
      c.add(o, "spec.endpoints", "missing; an upstream needs at least one endpoint");
    }
    Set<String> addresses = new HashSet<>();
    for (int i = 0; i < u.endpoints().size(); i++) {
      UpstreamSpec.Endpoint e = u.endpoints().get(i);
      String f = "spec.endpoints[" + i + "]";
      if (e == null || e.address() == null) {
        c.add(o, f + ".address", "missing; expected host:port");
        continue;
      }
      if (hostPort(c, o, f + ".address", e.address()) && !addresses.add(e.address())) {
        c.add(o, f + ".address", "duplicate endpoint " + e.address());
      }
      if (e.weight() < 1 || e.weight() > 1000) c.add(o, f + ".weight", "must be 1 to 1000, got " + e.weight());
    }
    LoadBalancer lb = u.loadBalancer();
    if (lb.policy() == LoadBalancer.Policy.HEADER_HASH && lb.hashHeader() == null) {
      c.add(o, "spec.loadBalancer.hashHeader", "missing; policy header-hash needs the header to hash");
    }
    if ((lb.policy() == LoadBalancer.Policy.RING_HASH || lb.policy() == LoadBalancer.Policy.MAGLEV)
        && lb.hashOn() == LoadBalancer.HashOn.HEADER && lb.hashHeader() == null) {
      c.add(o, "spec.loadBalancer.hashHeader", "missing; hashOn: header needs the header to hash");
    }
    if (lb.hashHeader() != null && !TOKEN.matcher(lb.hashHeader()).matches()) {
      c.add(o, "spec.loadBalancer.hashHeader", "invalid header name '" + lb.hashHeader() + "'");
    }
    positive(c, o, "spec.timeouts.connect", u.timeouts().connect());
    positive(c, o, "spec.timeouts.response", u.timeouts().response());
    positive(c, o, "spec.pool.idleTimeout", u.pool().idleTimeout());
    if (u.pool().maxConnectionsPerEndpoint() < 1) {
      c.add(o, "spec.pool.maxConnectionsPerEndpoint", "must be at least 1, got " + u.pool().maxConnectionsPerEndpoint());
    }
  }

  private static void positive(Check c, ConfigObject<?> o, String field, Duration d) {
    if (d.isNegative() || d.isZero()) c.add(o, field, "must be greater than zero, got " + d);
  }

  private static void slashPath(Check c, ConfigObject<?> o, String field, String path) {
    if (path != null && !path.startsWith("/")) c.add(o, field, "must start with '/', got '" + path + "'");
  }

  private static void regex(Check c, ConfigObject<?> o, String field, String regex) {
    if (regex == null) return;
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      c.add(o, field, "invalid regular expression '" + regex + "': " + e.getDescription() + " near index " + e.getIndex());
    }
  }

  /** Checks {@code host:port}; true when valid. */
  private static boolean hostPort(Check c, ConfigObject<?> o, String field, String value) {
    String[] hp = splitHostPort(value);
    if (hp == null) {
      c.add(o, field, "expected host:port (IPv6 as [::1]:8080), got '" + value + "'");
      return false;
    }
    int port = Integer.parseInt(hp[1]);
    if (port < 1 || port > 65535) {
      c.add(o, field, "port must be 1 to 65535, got " + port);
      return false;
    }
    return true;
  }

  /** {@code [host, port]} or null when the text is not host:port with a numeric port. */
  private static String[] splitHostPort(String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) return null;
    String host = value.substring(0, colon);
    String port = value.substring(colon + 1);
    if (!port.chars().allMatch(Character::isDigit) || port.length() > 5) return null;
    if (host.startsWith("[")) {
      if (!host.endsWith("]")) return null;
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":") || !HOST_NAME.matcher(host).matches() || host.startsWith("*")) {
      return null;
    }
    return new String[] {host, port};
  }

  private static final class Check {
    final List<ConfigError> errors = new ArrayList<>();

    void add(ConfigObject<?> o, String field, String message) {
      errors.add(new ConfigError(o.source(), o.ref(), field, message));
    }
  }
}
