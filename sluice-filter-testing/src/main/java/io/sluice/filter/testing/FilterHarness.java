package io.sluice.filter.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.ConfigSet;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.FilterConfigBinding;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterMetrics;
import io.sluice.filter.FilterFactory;
import java.time.Duration;
import io.sluice.filter.UpstreamCall;
import io.sluice.filter.UpstreamReply;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs one filter over in-memory exchanges, without sockets, the way the gateway runs a route whose
 * chain is that one filter: for the unit tests of a filter.
 *
 * <pre>{@code
 * try (FilterHarness h = FilterHarness.builder(new CorsFilterFactory())
 *     .config("allowOrigins: [https://app.example]")
 *     .build()) {
 *   TestExchange x = h.run(TestRequest.builder("GET", "/").header("Origin", "https://app.example").build());
 *   ClientResponse r = x.upstreamResponds(TestResponse.of(200));
 *   assertEquals("https://app.example", r.header("Access-Control-Allow-Origin"));
 * }
 * }</pre>
 *
 * <p><b>Config.</b> The builder binds a YAML (or JSON) config exactly as the gateway does (the same
 * code, {@link FilterConfigBinding}: strict binding, durations as {@code 5s}, {@code Bounds}, then
 * the factory's {@code validate}); a bad config throws {@link IllegalArgumentException} with the
 * gateway's message ({@code Route/test spec.filters[0] (cors).config.allowOrigins[0]: ...}). The
 * filter is created once, on the builder's thread, with a {@link FilterEnvironment} over the given
 * {@link ConfigSet} (for Consumers).
 *
 * <p><b>Semantics.</b> What the filter sees follows the gateway's filter runtime: the header rules
 * (Host, Content-Length, Transfer-Encoding, Expect and the hop-by-hop fields cannot be edited;
 * hop-by-hop fields are not shown), request setters refused after the request phase and response
 * setters outside the response phases, a filter that answers does not see its own response, a
 * filter that throws or returns null makes the answer 500 {@code filter_error}, an async result
 * not complete within {@link Builder#asyncTimeout} makes it 504 {@code filter_timeout}, body
 * phases only for filters that declare a limit and bodies within it, {@code onEnd} once when the
 * exchange ends. Named results go on to the next filter (a chain of one has no jumps).
 *
 * <p><b>Threading.</b> One thread stands in for the event loop: every phase runs on it and
 * {@link io.sluice.filter.Exchange#executor()} is it; {@link TestExchange}'s methods block the
 * test's thread until the phase settles (an async result awaited). Not for concurrent use by
 * several test threads; {@link #close()} stops the threads.
 */
public final class FilterHarness implements AutoCloseable {
  private final Filter filter;
  private final String where;
  private final String route;
  private final String listener;
  private final Duration asyncTimeout;
  private final ScheduledExecutorService loop;
  private final ExecutorService blocking;
  private final HarnessUpstreams upstreams;

  private FilterHarness(Filter filter, String where, String route, String listener, Duration asyncTimeout,
      ScheduledExecutorService loop, ExecutorService blocking, Map<String, Function<UpstreamCall, UpstreamReply>> upstreams) {
    this.upstreams = new HarnessUpstreams(upstreams, loop);
    this.filter = filter;
    this.where = where;
    this.route = route;
    this.listener = listener;
    this.asyncTimeout = asyncTimeout;
    this.loop = loop;
    this.blocking = blocking;
  }

  /** A builder for a harness around a filter that {@code factory} makes from a config. */
  public static <C> Builder<C> builder(FilterFactory<C> factory) {
    return new Builder<>(Objects.requireNonNull(factory, "factory"));
  }

  /** A harness around a filter made by hand (no factory, no config), with the defaults of {@link Builder}. */
  public static FilterHarness of(Filter filter) {
    Objects.requireNonNull(filter, "filter");
    String label = filter.getClass().getSimpleName().isEmpty() ? "filter" : filter.getClass().getSimpleName();
    return new FilterHarness(filter, "Route/test spec.filters[0] (" + label + ")", "test", "test",
        Builder.DEFAULT_ASYNC_TIMEOUT, newLoop(), Executors.newVirtualThreadPerTaskExecutor(), Map.of());
  }

  /** The filter under test. */
  public Filter filter() {
    return filter;
  }

  /** A new exchange for {@code request}, not started: set attributes on it, then {@link TestExchange#runRequest()}. */
  public TestExchange exchange(TestRequest request) {
    return new TestExchange(this, Objects.requireNonNull(request, "request"));
  }

  /** Runs the request phase of a new exchange for {@code request}; shorthand for {@code exchange(request).runRequest()}. */
  public TestExchange run(TestRequest request) {
    return exchange(request).runRequest();
  }

  HarnessExchange newExchange(TestRequest request, java.util.List<HarnessExchange.Preset<?>> presets) {
    return new HarnessExchange(filter, where, route, listener, loop, asyncTimeout, request, presets, upstreams);
  }

  /**
   * The calls the filter made through {@link io.sluice.filter.Exchange#upstreams()} so far, in
   * order, whether the Upstream exists or not.
   */
  public java.util.List<UpstreamCall> upstreamCalls() {
    return upstreams.calls();
  }

  ScheduledExecutorService loop() {
    return loop;
  }

  Duration asyncTimeout() {
    return asyncTimeout;
  }

  /** Stops the loop and the blocking executor; exchanges in progress are dropped. */
  @Override
  public void close() {
    loop.shutdownNow();
    blocking.shutdownNow();
  }

  private static ScheduledExecutorService newLoop() {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "filter-harness-loop");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Builds a {@link FilterHarness}; not thread-safe.
   *
   * @param <C> the factory's config type
   */
  public static final class Builder<C> {
    static final Duration DEFAULT_ASYNC_TIMEOUT = Duration.ofSeconds(30);

    private final FilterFactory<C> factory;
    private @Nullable JsonNode configTree;
    private @Nullable C configValue;
    private ConfigSet configSet = ConfigSet.EMPTY;
    private String route = "test";
    private String listener = "test";
    private @Nullable String name;
    private Duration asyncTimeout = DEFAULT_ASYNC_TIMEOUT;
    private final Map<String, Function<UpstreamCall, UpstreamReply>> upstreams = new java.util.LinkedHashMap<>();

    private Builder(FilterFactory<C> factory) {
      this.factory = factory;
    }

    /**
     * The filter's config as YAML or JSON, as written under {@code config:} in a Route; left out, it
     * is {@code {}}, as in the gateway.
     *
     * @throws IllegalArgumentException when it does not parse, naming the line
     */
    public Builder<C> config(String yaml) {
      this.configTree = ObjectCodec.readYamlTree(Objects.requireNonNull(yaml, "yaml"));
      this.configValue = null;
      return this;
    }

    /** The filter's config as a value of the factory's config type; it is checked as a bound config is. */
    public Builder<C> config(C config) {
      this.configValue = Objects.requireNonNull(config, "config");
      this.configTree = null;
      return this;
    }

    /** The configuration the filter is created in ({@link FilterEnvironment#config()}): its Consumers, say. Empty unless set. */
    public Builder<C> configSet(ConfigSet configSet) {
      this.configSet = Objects.requireNonNull(configSet, "configSet");
      return this;
    }

    /** The route's name ({@link io.sluice.filter.Exchange#route()}, the filter's owner {@code Route/<name>}); {@code test} unless set. */
    public Builder<C> route(String route) {
      this.route = Objects.requireNonNull(route, "route");
      return this;
    }

    /** The listener's name ({@link io.sluice.filter.Exchange#listener()}); {@code test} unless set. */
    public Builder<C> listener(String listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The filter's {@code name} in the chain ({@link FilterEnvironment#name()}); none unless set. */
    public Builder<C> name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * How long an async result may keep a phase waiting (the listener's {@code timeouts.filter}):
     * 30s unless set, as in the gateway.
     */
    public Builder<C> asyncTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("asyncTimeout must be positive, got " + timeout);
      }
      this.asyncTimeout = timeout;
      return this;
    }

    /**
     * An in-memory Upstream named {@code name} for the filter's calls
     * ({@link io.sluice.filter.Exchange#upstreams()}): {@code answer} gets each call and returns its
     * reply, or throws an {@link io.sluice.filter.UpstreamCallException} to stand for a failure
     * (timeout, no healthy endpoint, ...); it runs on the harness's loop, and the reply's body is
     * held to the call's {@code maxResponseBody} as in the gateway. Calls to Upstreams not named
     * here fail with {@code UNKNOWN_UPSTREAM}.
     */
    public Builder<C> upstream(String name, Function<UpstreamCall, UpstreamReply> answer) {
      if (name == null || name.isEmpty()) throw new IllegalArgumentException("upstream name must not be empty, got '" + name + "'");
      upstreams.put(name, Objects.requireNonNull(answer, "answer"));
      return this;
    }

    /**
     * Binds and checks the config and creates the filter.
     *
     * @throws IllegalArgumentException when the config is invalid, naming every problem as the gateway does
     * @throws RuntimeException what the factory's {@code create} throws
     */
    public FilterHarness build() {
      String field = "spec.filters[0]";
      String owner = "Route/" + route;
      String where = owner + " " + field + " (" + (name != null ? name : factory.kind()) + ")";
      C config;
      C value = configValue;
      if (value != null) {
        StringBuilder problems = new StringBuilder();
        FilterConfigBinding.check(value, factory::validate, (f, message) -> problems.append(problems.isEmpty() ? "" : "; ")
            .append(where).append(".config").append(f.isEmpty() ? "" : f.startsWith("[") ? f : "." + f).append(": ").append(message));
        if (!problems.isEmpty()) throw new IllegalArgumentException(problems.toString());
        config = value;
      } else {
        config = FilterConfigBinding.bindChecked(configTree, factory.configType(), factory::validate, where);
      }
      ScheduledExecutorService loop = newLoop();
      ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
      try {
        Filter filter = factory.create(config, new Environment(configSet, owner, field, name, blocking));
        if (filter == null) throw new IllegalStateException(where + ": " + factory.getClass().getName() + ".create returned null");
        return new FilterHarness(filter, where, route, listener, asyncTimeout, loop, blocking, upstreams);
      } catch (RuntimeException e) {
        loop.shutdownNow();
        blocking.shutdownNow();
        throw e;
      }
    }
  }

  /** The environment of the one create call; {@code shared} objects live as long as the harness. */
  private record Environment(ConfigSet config, String owner, String field, @Nullable String name, ExecutorService blocking,
      ConcurrentMap<String, Object> sharedObjects, FilterMetrics metrics) implements FilterEnvironment {
    Environment(ConfigSet config, String owner, String field, @Nullable String name, ExecutorService blocking) {
      this(config, owner, field, name, blocking, new ConcurrentHashMap<>(), new TestMetrics());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T shared(String key, Supplier<T> create) {
      return (T) sharedObjects.computeIfAbsent(Objects.requireNonNull(key, "key"), k -> Objects.requireNonNull(create.get(),
          "shared(" + k + "): the supplier returned null"));
    }

    @Override
    public Executor blockingExecutor() {
      return blocking;
    }
  }
}
