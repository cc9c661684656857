package io.sluice.proxy.internal;

import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.ObjectRef;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.route.RouteTimeouts;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.api.upstream.UpstreamTls;
import io.sluice.proxy.filter.internal.FilterChain;
import io.sluice.proxy.filter.internal.FilterChains;
import io.sluice.proxy.filter.internal.PluginJars;
import io.sluice.proxy.route.RouteEntry;
import io.sluice.proxy.route.RouteTable;
import io.sluice.proxy.route.split.Colouring;
import io.sluice.proxy.route.split.TrafficSplit;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.upstream.HostPort;
import io.sluice.proxy.upstream.retry.RetryRules;
import io.sluice.api.Kind;
import io.sluice.api.listener.ListenerTls;
import io.sluice.api.secret.SecretMaterial;
import io.sluice.api.secret.SecretSpec;
import io.sluice.proxy.tls.internal.ClientTls;
import io.sluice.proxy.tls.internal.ServerTls;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * Everything the data plane reads per request, compiled from one {@link ConfigSet} and never
 * changed afterwards: requests that started on a snapshot finish on it while the next one is
 * swapped in with a single reference write.
 *
 * @param listeners compiled listeners by name
 * @param upstreams compiled upstreams by name
 * @param filters the filters of pipelines and GlobalFilters, and what filters keep across
 *     configurations
 * @param routes the compiled route of each of {@code config.routes()}, at the same position,
 *     before its per-listener filter chain is attached: the next compilation reuses those that did
 *     not change
 */
record RuntimeSnapshot(ConfigSet config, Map<String, ListenerConfig> listeners, Map<String, UpstreamRuntime> upstreams,
    FilterChains filters, List<RuntimeRoute> routes) {
  static final RuntimeSnapshot EMPTY =
      new RuntimeSnapshot(ConfigSet.EMPTY, Map.of(), Map.of(), FilterChains.EMPTY, List.of());

  /**
   * Compiles {@code config}, which differs from {@code previous}'s configuration by {@code diff}.
   * When only routes changed, only they are compiled and patched into each listener's route table
   * (with thousands of routes, a change costs microseconds instead of milliseconds of the core the
   * event loops share). Otherwise everything is compiled again, except what did not change:
   * upstreams whose spec did not change are carried over whole, endpoints whose address and weight
   * did not change keep their identity (so their pooled connections and counters survive the
   * reload), and unchanged routes whose upstreams were carried over are reused. Runs off the event
   * loops (it may resolve host names).
   *
   * @throws ObjectCompileException naming the object whose compilation failed
   */
  static RuntimeSnapshot compile(ConfigSet config, ConfigDiff diff, RuntimeSnapshot previous, int loops,
      Observability obs) {
    return diff.routesOnly() ? previous.withRoutes(config, diff, obs) : full(config, diff, previous, loops, obs);
  }

  private RuntimeSnapshot withRoutes(ConfigSet config, ConfigDiff diff, Observability obs) {
    List<ConfigObject<RouteSpec>> changed = diff.changed().stream().map(ConfigDiff.Changed::after).toList();
    FilterChains nextFilters = filters.update(config, changed, diff.removed(), PluginJars.registryFor(config), obs.filterMetrics());
    int[] previousIndex = diff.previousIndex();
    RuntimeRoute[] compiled = new RuntimeRoute[previousIndex.length];
    for (int j = 0; j < compiled.length; j++) {
      if (previousIndex[j] >= 0) compiled[j] = routes.get(previousIndex[j]);
    }
    for (ConfigDiff.Changed c : diff.changed()) {
      ConfigObject<RouteSpec> r = c.after();
      compiled[c.index()] = ObjectCompileException.attributed(ObjectRef.of(r), () -> compileRoute(r.name(), r.spec(), upstreams, obs));
    }
    Map<String, ListenerConfig> nextListeners = new HashMap<>();
    for (ListenerConfig l : listeners.values()) {
      List<RouteEntry<RuntimeRoute>> puts = new ArrayList<>();
      List<String> gone = new ArrayList<>();
      for (ConfigDiff.Changed c : diff.changed()) {
        ConfigObject<RouteSpec> r = c.after();
        if (servedOn(r.spec(), l.name)) {
          FilterChain chain = ObjectCompileException.attributed(ObjectRef.of(r), () -> nextFilters.chain(r.name(), l.name));
          puts.add(new RouteEntry<>(r.name(), r.spec(), compiled[c.index()].withFilters(chain)));
        } else if (c.before() != null && servedOn(c.before().spec(), l.name)) {
          gone.add(r.name());
        }
      }
      for (ConfigObject<RouteSpec> r : diff.removed()) {
        if (servedOn(r.spec(), l.name)) gone.add(r.name());
      }
      nextListeners.put(l.name, puts.isEmpty() && gone.isEmpty() ? l : l.withRoutes(l.routes.update(puts, gone)));
    }
    return new RuntimeSnapshot(config, Map.copyOf(nextListeners), upstreams, nextFilters, List.of(compiled));
  }

  private static RuntimeSnapshot full(ConfigSet config, ConfigDiff diff, RuntimeSnapshot previous, int loops,
      Observability obs) {
    Map<String, UpstreamRuntime> upstreams = new HashMap<>();
    for (ConfigObject<UpstreamSpec> o : config.upstreams()) {
      UpstreamRuntime old = previous.upstreams.get(o.name());
      ClientTls tls = ObjectCompileException.attributed(ObjectRef.of(o), () -> clientTls(o, config, old == null ? null : old.tls));
      // The same TLS (or none on both): connections made before can serve on. A TLS change
      // (settings, a Secret it names, its files) gives every endpoint a new identity, so the
      // loops' idle pools, keyed by endpoint, never hand out a connection made with the old
      // settings; the old endpoints' idle connections are closed as dropped ones are.
      // A change of protocol gives new endpoints too: HTTP/1.1 and HTTP/2 pool apart, by endpoint.
      boolean sameTls = old != null && old.tls == tls
          && old.spec.protocolOrDefault().equals(o.spec().protocolOrDefault());
      if (sameTls && old.spec.equals(o.spec())) {
        upstreams.put(o.name(), old);
        obs.attach(old);
        continue;
      }
      UpstreamRuntime u = ObjectCompileException.attributed(ObjectRef.of(o), () -> {
        List<Endpoint> endpoints = new ArrayList<>();
        for (UpstreamSpec.Endpoint e : o.spec().endpoints()) {
          Endpoint kept = sameTls ? find(old.endpoints, e) : null;
          endpoints.add(kept != null ? kept
              : new Endpoint(e.address(), HostPort.parse(e.address()).toSocketAddress(), e.weight()));
        }
        return new UpstreamRuntime(o.name(), o.spec(), endpoints, loops, tls);
      });
      obs.attach(u);
      upstreams.put(o.name(), u);
    }
    FilterChains filters = FilterChains.compile(config, previous.filters.sharedState(), PluginJars.registryFor(config), obs.filterMetrics());
    List<ConfigObject<RouteSpec>> routes = config.routes();
    RuntimeRoute[] compiled = new RuntimeRoute[routes.size()];
    for (int j = 0; j < compiled.length; j++) {
      ConfigObject<RouteSpec> o = routes.get(j);
      int p = diff.previousIndex()[j];
      boolean reuse = p >= 0;
      for (String u : o.spec().upstreamNames()) {
        if (reuse && upstreams.get(u) != previous.upstreams.get(u)) reuse = false;
      }
      compiled[j] = reuse ? previous.routes.get(p)
          : ObjectCompileException.attributed(ObjectRef.of(o), () -> compileRoute(o.name(), o.spec(), upstreams, obs));
    }
    Map<String, ListenerConfig> listeners = new HashMap<>();
    for (ConfigObject<ListenerSpec> l : config.listeners()) {
      List<RouteEntry<RuntimeRoute>> entries = new ArrayList<>();
      for (int j = 0; j < compiled.length; j++) {
        ConfigObject<RouteSpec> r = routes.get(j);
        if (servedOn(r.spec(), l.name())) {
          // A route's chain depends on the listener (its GlobalFilters); without any it is the same everywhere.
          FilterChain chain = ObjectCompileException.attributed(ObjectRef.of(r), () -> filters.chain(r.name(), l.name()));
          entries.add(new RouteEntry<>(r.name(), r.spec(), compiled[j].withFilters(chain)));
        }
      }
      ListenerConfig old = previous.listeners.get(l.name());
      ServerTls tls = ObjectCompileException.attributed(ObjectRef.of(l), () -> tls(l, config, old == null ? null : old.tls));
      listeners.put(l.name(), ObjectCompileException.attributed(ObjectRef.of(l),
          () -> new ListenerConfig(l.name(), l.spec(), RouteTable.compile(entries), obs.listener(l, config.paths()), tls)));
    }
    return new RuntimeSnapshot(config, Map.copyOf(listeners), Map.copyOf(upstreams), filters, List.of(compiled));
  }

  /**
   * The TLS of listener {@code l}: {@code previous} when it was compiled from the same specs (its
   * Secrets and its {@code tls} unchanged, and the files they name not modified), else compiled
   * afresh from the Secrets' material.
   *
   * @throws IllegalStateException when a Secret does not load or the provider refuses it
   */
  static @Nullable ServerTls tls(ConfigObject<ListenerSpec> l, ConfigSet config, @Nullable ServerTls previous) {
    ListenerTls spec = l.spec().tls();
    if (spec == null) return null;
    List<Object> inputs = new ArrayList<>();
    inputs.add(spec);
    inputs.add(l.spec().timeouts().handshakeOrDefault());
    List<String> alpn = Http2Pipelines.alpn(l.spec().protocolsOrDefault());
    inputs.add(alpn);
    Map<String, SecretSpec> secrets = new HashMap<>();
    List<String> names = new ArrayList<>();
    for (ListenerTls.Certificate c : spec.certificates()) names.add(java.util.Objects.requireNonNull(c.secret(), "secret"));
    ListenerTls.ClientAuth auth = spec.clientAuth();
    if (auth != null) names.add(java.util.Objects.requireNonNull(auth.ca(), "ca"));
    for (String name : names) addSecret(name, config, secrets, inputs);
    if (previous != null && previous.compiledFrom(inputs)) return previous;
    Map<String, SecretMaterial> material = load(secrets, config);
    try {
      return ServerTls.compile(spec, alpn, material::get, l.spec().timeouts().handshakeOrDefault(), inputs);
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build its TLS context: " + e.getMessage(), e);
    }
  }

  /**
   * The TLS of upstream {@code u}: null without it, {@code previous} when it was compiled from the
   * same inputs (its {@code tls}, its connect timeout, the specs of the Secrets it names and the
   * files they name), else compiled afresh.
   *
   * @throws IllegalStateException when a Secret does not load or the provider refuses it
   */
  static @Nullable ClientTls clientTls(ConfigObject<UpstreamSpec> u, ConfigSet config, @Nullable ClientTls previous) {
    UpstreamTls spec = u.spec().tlsIfEnabled();
    if (spec == null) return null;
    List<Object> inputs = new ArrayList<>();
    inputs.add(spec);
    inputs.add(u.spec().timeouts().connect());
    String protocol = u.spec().protocolOrDefault();
    inputs.add(protocol);
    Map<String, SecretSpec> secrets = new HashMap<>();
    for (@Nullable String name : new String[] {spec.caSecret(), spec.clientCertificate()}) {
      if (name != null) addSecret(name, config, secrets, inputs);
    }
    if (previous != null && previous.compiledFrom(inputs)) return previous;
    Map<String, SecretMaterial> material = load(secrets, config);
    try {
      List<String> alpn = switch (protocol) {
        case UpstreamSpec.H2 -> List.of("h2");
        case UpstreamSpec.AUTO -> List.of("h2", "http/1.1");
        default -> List.of("http/1.1");
      };
      return ClientTls.compile(spec, material::get, u.spec().timeouts().connect(), inputs, alpn);
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build its TLS context: " + e.getMessage(), e);
    }
  }

  /** Adds Secret {@code name}'s spec to {@code secrets}, and its spec and file stamps to the {@code inputs} TLS is compiled from. */
  private static void addSecret(String name, ConfigSet config, Map<String, SecretSpec> secrets, List<Object> inputs) {
    ConfigObject<?> s = config.get(new ObjectRef(Kind.SECRET, name));
    if (s == null) throw new IllegalStateException("Secret '" + name + "' is not in the configuration");
    secrets.put(name, (SecretSpec) s.spec());
    inputs.add(s.spec());
    // Files are part of what it was compiled from: a file replaced on disk compiles it again.
    inputs.add(SecretFiles.stamps((SecretSpec) s.spec(), config.paths()));
  }

  /** The material of each of {@code secrets}, from inline PEM or the files they name. */
  private static Map<String, SecretMaterial> load(Map<String, SecretSpec> secrets, ConfigSet config) {
    Map<String, SecretMaterial> material = new HashMap<>();
    for (Map.Entry<String, SecretSpec> e : secrets.entrySet()) {
      try {
        material.put(e.getKey(), SecretMaterial.load(e.getValue(), config.paths()));
      } catch (SecretMaterial.Problem p) {
        throw new IllegalStateException("Secret/" + e.getKey() + ": " + p.field() + ": " + p.getMessage(), p);
      }
    }
    return material;
  }

  private static boolean servedOn(RouteSpec route, String listener) {
    return route.listeners().isEmpty() || route.listeners().contains(listener);
  }

  private static Endpoint find(List<Endpoint> endpoints, UpstreamSpec.Endpoint e) {
    for (Endpoint x : endpoints) {
      if (x.address().equals(e.address()) && x.weight() == e.weight()) return x;
    }
    return null;
  }

  private static RuntimeRoute compileRoute(String name, RouteSpec spec, Map<String, UpstreamRuntime> upstreams,
      Observability obs) {
    String strip = null;
    String replacement = null;
    String host = null;
    if (spec.rewrite() != null) {
      host = spec.rewrite().host();
      replacement = spec.rewrite().pathPrefix();
      if (replacement != null) {
        PathMatch p = spec.match().path();
        String prefix = p.prefix() == null ? "/" : p.prefix();
        strip = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
      }
    }
    UpstreamRuntime upstream = spec.upstream() == null ? null : upstreams.get(spec.upstream());
    DirectResponder direct = spec.directResponse() == null ? null : new DirectResponder(spec.directResponse());
    RouteTraffic traffic = direct != null ? null : compileTraffic(name, spec, upstreams);
    return new RuntimeRoute(name, upstream, strip, replacement, host, direct, traffic, null, obs.route(name, spec));
  }

  private static RouteTraffic compileTraffic(String name, RouteSpec spec, Map<String, UpstreamRuntime> upstreams) {
    TrafficSplit<UpstreamRuntime> split = TrafficSplit.compile(name, spec, upstreams::get);
    RouteTimeouts t = spec.timeouts();
    return new RouteTraffic(split,
        spec.colour() == null ? null : Colouring.of(spec.colour()),
        RetryRules.compile(spec.retries()),
        t == null || t.request() == null ? 0 : t.request().toNanos(),
        t == null || t.upstreamResponse() == null ? 0 : t.upstreamResponse().toNanos(),
        !spec.websocketAllowed() ? null : new io.sluice.proxy.websocket.TunnelSettings(
            t == null ? RouteTimeouts.DEFAULT_WEBSOCKET_IDLE : t.websocketIdleOrDefault(),
            t == null ? null : t.websocketLifetime()));
  }

  /**
   * This snapshot with the TLS of listeners whose certificate files changed on disk compiled again,
   * or this snapshot itself when none did. A listener whose new files do not load keeps its TLS, and
   * the failure is passed to {@code failed} (listener name, message).
   */
  RuntimeSnapshot withRefreshedTls(java.util.function.BiConsumer<String, String> failed) {
    Map<String, ListenerConfig> next = null;
    for (ConfigObject<ListenerSpec> l : config.listeners()) {
      ListenerConfig c = listeners.get(l.name());
      if (c == null || c.tls == null) continue;
      ServerTls t;
      try {
        t = tls(l, config, c.tls);
      } catch (RuntimeException e) {
        failed.accept(l.name(), e.getMessage());
        continue;
      }
      if (t == c.tls) continue;
      if (next == null) next = new HashMap<>(listeners);
      next.put(l.name(), c.withTls(t));
    }
    return next == null ? this : new RuntimeSnapshot(config, Map.copyOf(next), upstreams, filters, routes);
  }

  /**
   * Upstream runtimes of this snapshot that {@code other} does not have (by identity): started
   * when this snapshot replaces {@code other}, stopped when {@code other} replaces this one.
   */
  List<UpstreamRuntime> upstreamsNotIn(RuntimeSnapshot other) {
    List<UpstreamRuntime> only = new ArrayList<>();
    for (UpstreamRuntime u : upstreams.values()) {
      if (other.upstreams.get(u.name) != u) only.add(u);
    }
    return only;
  }

  /** Endpoints of this snapshot that {@code next} no longer has: their idle connections must go. */
  List<Endpoint> endpointsDroppedBy(RuntimeSnapshot next) {
    Set<Endpoint> kept = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (UpstreamRuntime u : next.upstreams.values()) kept.addAll(u.endpoints);
    List<Endpoint> dropped = new ArrayList<>();
    for (UpstreamRuntime u : upstreams.values()) {
      for (Endpoint e : u.endpoints) {
        if (!kept.contains(e)) dropped.add(e);
      }
    }
    return dropped;
  }
}
