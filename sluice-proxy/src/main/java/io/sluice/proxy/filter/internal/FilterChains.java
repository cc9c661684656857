package io.sluice.proxy.filter.internal;

import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterSpec;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.pipeline.PipelineSpec;
import io.sluice.api.route.RouteSpec;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterMetrics;
import io.sluice.proxy.internal.ObjectCompileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Compiles the filters of a configuration: each list of filters (a route's, a pipeline's, a
 * GlobalFilter's {@code before}/{@code after}) is created once, then assembled into one
 * {@link FilterChain} per route and listener. Runs when a configuration is applied, off the event
 * loops. A pipeline's or GlobalFilter's filter instances are shared by every route that runs them.
 */
public final class FilterChains {
  /** Virtual threads for filters' blocking work; shared by every configuration, never shut down. */
  private static final ExecutorService BLOCKING = Executors.newVirtualThreadPerTaskExecutor();

  /** Compiled from an empty configuration: the state before the first one. */
  public static final FilterChains EMPTY = new FilterChains(ConfigSet.EMPTY, SharedState.EMPTY, Map.of(), Map.of(), null);

  private final ConfigSet config;
  /** The routes compiled by this instance: every route, or only the changed ones (see {@link #update}). */
  private final Map<String, Segment> routes = new HashMap<>();
  private final Map<String, RouteSpec> routeSpecs = new HashMap<>();
  private final Map<String, Segment> pipelines;
  private final Map<String, Segment[]> globals;
  private final Map<String, @Nullable FilterChain> chains = new HashMap<>();
  /** Shared objects asked for while compiling, by owner ({@code Route/orders}), then by full key. */
  private final Map<String, Map<String, Object>> shared = new HashMap<>();
  private final SharedState previous;
  /** The gateway's filter metrics, handed to every filter created; null only in {@link #EMPTY}, which creates none. */
  private final @Nullable FilterMetrics metrics;
  private SharedState sharedState = SharedState.EMPTY;
  /**
   * The registries this configuration's filters were created with: they hold the Plugins' class
   * loaders ({@link PluginJars}), so a Plugin that no filter uses stays loaded while the
   * configuration is in force. An update adds its registry to those of the chains it keeps.
   */
  private List<FilterRegistry> registries = List.of();

  /** One list of filters as configured, compiled once. */
  private record Segment(List<FilterSpec> specs, List<Filter> filters, List<String> wheres) {
    int indexOf(String name) {
      for (int i = 0; i < specs.size(); i++) {
        if (name.equals(specs.get(i).name())) return i;
      }
      return -1;
    }
  }

  /**
   * Objects filters keep across configurations ({@link FilterEnvironment#shared}), by owner so that
   * an update drops a changed or removed route's objects without looking at the others. Immutable.
   */
  public static final class SharedState {
    public static final SharedState EMPTY = new SharedState(Map.of());
    private final Map<String, Map<String, Object>> byOwner;

    private SharedState(Map<String, Map<String, Object>> byOwner) {
      this.byOwner = byOwner;
    }

    private @Nullable Object get(String owner, String key) {
      Map<String, Object> m = byOwner.get(owner);
      return m == null ? null : m.get(key);
    }
  }

  private FilterChains(ConfigSet config, SharedState previous, Map<String, Segment> pipelines,
      Map<String, Segment[]> globals, @Nullable FilterMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.previous = previous;
    this.pipelines = pipelines;
    this.globals = globals;
  }

  /**
   * Creates every filter of {@code config}.
   *
   * @param previous the shared state of the configuration being replaced
   * @param metrics the gateway's filter metrics ({@link FilterEnvironment#metrics()})
   * @throws IllegalArgumentException when a filter cannot be created, naming it
   */
  public static FilterChains compile(ConfigSet config, SharedState previous, FilterRegistry registry, FilterMetrics metrics) {
    FilterChains c = new FilterChains(config, previous, new HashMap<>(), new HashMap<>(), metrics);
    for (ConfigObject<PipelineSpec> p : config.pipelines()) {
      c.pipelines.put(p.name(), c.segment(registry, p.ref(), "spec.filters", p.spec().filters()));
    }
    for (ConfigObject<GlobalFilterSpec> g : config.globalFilters()) {
      c.globals.put(g.name(), new Segment[] {
          c.segment(registry, g.ref(), "spec.before", g.spec().before()),
          c.segment(registry, g.ref(), "spec.after", g.spec().after())});
    }
    for (ConfigObject<RouteSpec> r : config.routes()) {
      c.routes.put(r.name(), c.segment(registry, r.ref(), "spec.filters", r.spec().filters()));
      c.routeSpecs.put(r.name(), r.spec());
    }
    c.sharedState = new SharedState(Map.copyOf(c.shared));
    c.registries = List.of(registry);
    return c;
  }

  /**
   * The filters of {@code config} when only routes changed since the configuration this instance
   * was compiled from: the routes in {@code changed} get new filters; pipelines and GlobalFilters
   * keep theirs (the same instances, so their state carries on), and so do the other routes, whose
   * chains the caller keeps. Only {@link #chain} of a changed route may be asked of the result.
   *
   * @param changed routes added or changed, in their new version
   * @param removed the routes no longer in {@code config}
   * @param metrics the gateway's filter metrics ({@link FilterEnvironment#metrics()})
   * @throws IllegalArgumentException when a filter cannot be created, naming it
   */
  public FilterChains update(ConfigSet config, List<ConfigObject<RouteSpec>> changed, List<ConfigObject<RouteSpec>> removed,
      FilterRegistry registry, FilterMetrics metrics) {
    FilterChains c = new FilterChains(config, sharedState, pipelines, globals, metrics);
    for (ConfigObject<RouteSpec> r : changed) {
      c.routes.put(r.name(), c.segment(registry, r.ref(), "spec.filters", r.spec().filters()));
      c.routeSpecs.put(r.name(), r.spec());
    }
    Map<String, Map<String, Object>> byOwner = new HashMap<>(sharedState.byOwner);
    for (ConfigObject<RouteSpec> r : changed) byOwner.remove(r.ref());
    for (ConfigObject<RouteSpec> r : removed) byOwner.remove(r.ref());
    byOwner.putAll(c.shared);
    c.sharedState = new SharedState(byOwner);
    // Only routes changed, so the Plugins are those of the kept chains' registry: keep one of them.
    c.registries = registries.isEmpty() ? List.of(registry) : List.of(registries.get(0), registry);
    return c;
  }

  /** What filters keep for the next configuration. */
  public SharedState sharedState() {
    return sharedState;
  }

  /**
   * @throws ObjectCompileException naming the owner when a filter cannot be created, so that the
   *     data plane can skip the owner and apply the rest
   */
  private Segment segment(FilterRegistry registry, String owner, String field, List<FilterSpec> specs) {
    List<Filter> filters = new ArrayList<>(specs.size());
    List<String> wheres = new ArrayList<>(specs.size());
    for (int i = 0; i < specs.size(); i++) {
      FilterSpec s = specs.get(i);
      String at = field + "[" + i + "]";
      String where = owner + " " + at + " (" + s.label() + ")";
      filters.add(create(registry, s, owner, at));
      wheres.add(where);
    }
    return new Segment(List.copyOf(specs), filters, wheres);
  }

  /** Creates one filter; a failure names the object and the filter's place, as the registry's own errors do. */
  private Filter create(FilterRegistry registry, FilterSpec s, String owner, String at) {
    String place = owner + ": " + at;
    try {
      return registry.create(s.kind(), s.config(), new Environment(s, owner, at), place);
    } catch (RuntimeException e) {
      String m = e.getMessage() == null ? e.toString() : e.getMessage();
      throw new ObjectCompileException(refOf(owner),
          new IllegalArgumentException(m.startsWith(place) ? m : place + ": " + m, e));
    }
  }

  private static ObjectRef refOf(String owner) {
    int slash = owner.indexOf('/');
    // owners are "kind/name" strings this class made from real kinds
    return new ObjectRef(Objects.requireNonNull(Kind.fromName(owner.substring(0, slash))), owner.substring(slash + 1));
  }

  /**
   * The chain of route {@code route} on listener {@code listener}, or null when it has no filters
   * (the hot path then pays nothing). Chains that come out the same are the same object.
   */
  public @Nullable FilterChain chain(String route, String listener) {
    RouteSpec r = routeSpecs.get(route);
    if (r == null) throw new IllegalArgumentException("no route " + route);
    if (r.filters().isEmpty() && r.pipeline() == null && globals.isEmpty()) return null;
    List<String> applicable = new ArrayList<>();
    for (ConfigObject<GlobalFilterSpec> g : config.globalFilters()) {
      if (g.spec().appliesTo(listener)) applicable.add(g.name());
    }
    String key = route + "\u0000" + String.join(",", applicable);
    if (chains.containsKey(key)) return chains.get(key);
    FilterChain chain = assemble(route, r, applicable);
    chains.put(key, chain);
    return chain;
  }

  private @Nullable FilterChain assemble(String name, RouteSpec route, List<String> applicable) {
    Segment pipeline = route.pipeline() == null ? null : pipelines.get(route.pipeline());
    Segment own = Objects.requireNonNull(routes.get(name), name); // a segment per route, made with routeSpecs
    Set<String> replaced = new HashSet<>(route.disableGlobal());
    for (FilterSpec f : own.specs()) if (f.name() != null) replaced.add(f.name());
    if (pipeline != null) for (FilterSpec f : pipeline.specs()) if (f.name() != null) replaced.add(f.name());
    List<FilterChain.Link> links = new ArrayList<>();
    for (String g : applicable) add(links, global(g)[0], replaced);
    if (pipeline != null) add(links, pipeline, Set.of());
    add(links, own, Set.of());
    for (String g : applicable) add(links, global(g)[1], replaced);
    return links.isEmpty() ? null : new FilterChain(links);
  }

  /** The segments of global filter {@code name}; applicable names come from the same config. */
  private Segment[] global(String name) {
    return Objects.requireNonNull(globals.get(name), name);
  }

  /** Appends the filters of {@code s} not in {@code leaveOut}, with their jumps resolved to positions in the chain. */
  private static void add(List<FilterChain.Link> links, Segment s, Set<String> leaveOut) {
    int n = s.specs().size();
    int base = links.size();
    // position[i]: where filter i of the segment lands, or where the next kept one does (n: the segment's end).
    int[] position = new int[n + 1];
    int kept = 0;
    boolean[] keep = new boolean[n];
    for (int i = 0; i < n; i++) {
      String name = s.specs().get(i).name();
      keep[i] = name == null || !leaveOut.contains(name);
      if (keep[i]) kept++;
    }
    int next = base + kept;
    position[n] = next;
    for (int i = n - 1; i >= 0; i--) {
      position[i] = keep[i] ? --next : position[i + 1];
    }
    for (int i = 0; i < n; i++) {
      if (!keep[i]) continue;
      FilterSpec spec = s.specs().get(i);
      Map<String, Integer> jumps = null;
      if (!spec.onResult().isEmpty()) {
        jumps = new HashMap<>();
        for (Map.Entry<String, String> j : spec.onResult().entrySet()) {
          int target = j.getValue().equals(FilterSpec.END) ? n : s.indexOf(j.getValue());
          if (target < 0) throw new IllegalArgumentException(s.wheres().get(i) + ": onResult." + j.getKey()
              + " names no filter of its list: " + j.getValue());
          jumps.put(j.getKey(), position[target]);
        }
      }
      links.add(new FilterChain.Link(s.filters().get(i), s.wheres().get(i), jumps));
    }
  }

  /** What a factory gets while the configuration is compiled. */
  private final class Environment implements FilterEnvironment {
    private final FilterSpec spec;
    private final String owner;
    private final String field;

    Environment(FilterSpec spec, String owner, String field) {
      this.spec = spec;
      this.owner = owner;
      this.field = field;
    }

    @Override
    public ConfigSet config() {
      return config;
    }

    @Override
    public String owner() {
      return owner;
    }

    @Override
    public String field() {
      return field;
    }

    @Override
    public FilterMetrics metrics() {
      return Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public @Nullable String name() {
      return spec.name();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T shared(String key, Supplier<T> create) {
      String full = spec.kind() + "|" + (spec.name() != null ? spec.name() : field) + "|" + key;
      Map<String, Object> mine = shared.computeIfAbsent(owner, k -> new HashMap<>());
      Object o = mine.get(full);
      if (o == null) {
        o = previous.get(owner, full);
        if (o == null) o = java.util.Objects.requireNonNull(create.get(), "shared object for " + key);
        mine.put(full, o);
      }
      return (T) o;
    }

    @Override
    public java.util.concurrent.Executor blockingExecutor() {
      return BLOCKING;
    }
  }
}
