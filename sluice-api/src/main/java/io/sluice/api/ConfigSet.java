package io.sluice.api;

import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.api.validate.Validator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A complete, validated configuration: every reference resolves, no names or ports clash. The only
 * way to get one is {@link #of}, so holding a ConfigSet means holding a valid configuration.
 * Immutable and thread-safe.
 */
public final class ConfigSet {
  public static final ConfigSet EMPTY = new ConfigSet(List.of(), List.of(), List.of());

  private final List<ConfigObject<ListenerSpec>> listeners;
  private final List<ConfigObject<RouteSpec>> routes;
  private final List<ConfigObject<UpstreamSpec>> upstreams;
  private final Map<String, ConfigObject<UpstreamSpec>> upstreamsByName;

  private ConfigSet(List<ConfigObject<ListenerSpec>> listeners, List<ConfigObject<RouteSpec>> routes,
      List<ConfigObject<UpstreamSpec>> upstreams) {
    this.listeners = listeners;
    this.routes = routes;
    this.upstreams = upstreams;
    this.upstreamsByName = upstreams.stream().collect(Collectors.toUnmodifiableMap(ConfigObject::name, Function.identity()));
  }

  /**
   * Validates {@code objects} as a whole and returns them as a set.
   *
   * @throws ConfigException with every error found
   */
  @SuppressWarnings("unchecked")
  public static ConfigSet of(Collection<? extends ConfigObject<?>> objects) throws ConfigException {
    List<ConfigError> errors = Validator.validate(objects);
    if (!errors.isEmpty()) throw new ConfigException(errors);
    List<ConfigObject<ListenerSpec>> l = new ArrayList<>();
    List<ConfigObject<RouteSpec>> r = new ArrayList<>();
    List<ConfigObject<UpstreamSpec>> u = new ArrayList<>();
    for (ConfigObject<?> o : objects) {
      switch (o.kind()) {
        case LISTENER -> l.add((ConfigObject<ListenerSpec>) o);
        case ROUTE -> r.add((ConfigObject<RouteSpec>) o);
        case UPSTREAM -> u.add((ConfigObject<UpstreamSpec>) o);
      }
    }
    Comparator<ConfigObject<?>> byName = Comparator.comparing(ConfigObject::name);
    l.sort(byName);
    r.sort(byName);
    u.sort(byName);
    return new ConfigSet(List.copyOf(l), List.copyOf(r), List.copyOf(u));
  }

  /** Listeners, sorted by name. */
  public List<ConfigObject<ListenerSpec>> listeners() {
    return listeners;
  }

  /** Routes, sorted by name. */
  public List<ConfigObject<RouteSpec>> routes() {
    return routes;
  }

  /** Upstreams, sorted by name. */
  public List<ConfigObject<UpstreamSpec>> upstreams() {
    return upstreams;
  }

  public @Nullable ConfigObject<UpstreamSpec> upstream(String name) {
    return upstreamsByName.get(name);
  }

  /** Every object in dependency order (Upstream, Route, Listener; DESIGN §2), then by name. */
  public List<ConfigObject<?>> all() {
    List<ConfigObject<?>> all = new ArrayList<>(upstreams);
    all.addAll(routes);
    all.addAll(listeners);
    return List.copyOf(all);
  }
}
