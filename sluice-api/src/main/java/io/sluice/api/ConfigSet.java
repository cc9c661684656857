package io.sluice.api;

import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.pipeline.PipelineSpec;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.api.validate.Validator;
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
  public static final ConfigSet EMPTY = new ConfigSet(List.of());

  /** Kind declaration order is dependency order (see {@link Kind}); names make the order total. */
  private static final Comparator<ConfigObject<?>> DEPENDENCY_ORDER =
      Comparator.<ConfigObject<?>, Kind>comparing(ConfigObject::kind).thenComparing(ConfigObject::name);

  private final List<ConfigObject<?>> all;
  private final List<ConfigObject<ListenerSpec>> listeners;
  private final List<ConfigObject<RouteSpec>> routes;
  private final List<ConfigObject<UpstreamSpec>> upstreams;
  private final Map<String, ConfigObject<UpstreamSpec>> upstreamsByName;
  private final List<ConfigObject<ConsumerSpec>> consumers;
  private final List<ConfigObject<PipelineSpec>> pipelines;
  private final Map<String, ConfigObject<PipelineSpec>> pipelinesByName;
  private final List<ConfigObject<GlobalFilterSpec>> globalFilters;

  private ConfigSet(List<ConfigObject<?>> sorted) {
    this.all = sorted;
    this.listeners = ofKind(sorted, Kind.LISTENER);
    this.routes = ofKind(sorted, Kind.ROUTE);
    this.upstreams = ofKind(sorted, Kind.UPSTREAM);
    this.upstreamsByName = upstreams.stream().collect(Collectors.toUnmodifiableMap(ConfigObject::name, Function.identity()));
    this.consumers = ofKind(sorted, Kind.CONSUMER);
    this.pipelines = ofKind(sorted, Kind.PIPELINE);
    this.pipelinesByName = pipelines.stream().collect(Collectors.toUnmodifiableMap(ConfigObject::name, Function.identity()));
    this.globalFilters = ofKind(sorted, Kind.GLOBAL_FILTER);
  }

  /**
   * Validates {@code objects} as a whole and returns them as a set.
   *
   * @throws ConfigException with every error found by {@link Validator}
   */
  public static ConfigSet of(Collection<? extends ConfigObject<?>> objects) throws ConfigException {
    List<ConfigError> errors = Validator.validate(objects);
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return new ConfigSet(objects.stream().<ConfigObject<?>>map(o -> o).sorted(DEPENDENCY_ORDER).toList());
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

  /** The upstream named {@code name}, or null when there is none. */
  public @Nullable ConfigObject<UpstreamSpec> upstream(String name) {
    return upstreamsByName.get(name);
  }

  /** Consumers, sorted by name. */
  public List<ConfigObject<ConsumerSpec>> consumers() {
    return consumers;
  }

  /** Pipelines, sorted by name. */
  public List<ConfigObject<PipelineSpec>> pipelines() {
    return pipelines;
  }

  /** The pipeline named {@code name}, or null when there is none. */
  public @Nullable ConfigObject<PipelineSpec> pipeline(String name) {
    return pipelinesByName.get(name);
  }

  /** GlobalFilters, sorted by name: the order in which their filters run. */
  public List<ConfigObject<GlobalFilterSpec>> globalFilters() {
    return globalFilters;
  }

  /**
   * Every object in dependency order (Upstream, Consumer, Pipeline, Route, Listener, GlobalFilter: {@link Kind} declaration order, see
   * DESIGN §2), then by name, so that applying them in this order never meets a dangling reference.
   */
  public List<ConfigObject<?>> all() {
    return all;
  }

  // The kind decides the spec class (ConfigObject checks it on construction), so the cast holds.
  @SuppressWarnings("unchecked")
  private static <S extends Spec> List<ConfigObject<S>> ofKind(List<ConfigObject<?>> sorted, Kind kind) {
    return sorted.stream().filter(o -> o.kind() == kind).map(o -> (ConfigObject<S>) o).toList();
  }
}
