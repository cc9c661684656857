package io.sluice.api.route;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import io.sluice.api.upstream.RetryPolicy;
import io.sluice.api.filter.FilterSpec;
import io.sluice.api.filter.FilterSpecs;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which requests a route takes and where it sends them.
 *
 * <pre>{@code
 * spec:
 *   listeners: [public]          # default: every listener
 *   hosts: [api.example.com, "*.example.com"]   # default: any host
 *   priority: 0
 *   match:
 *     path: {prefix: /orders}    # or exact, regex, template (/users/{id})
 *     methods: [GET, POST]
 *     headers: [{name: x-canary, exact: "1"}]
 *     query: [{name: debug, present: true}]
 *   rewrite: {pathPrefix: /, host: orders.internal}
 *   upstream: orders             # or upstreams (a weighted split), or directResponse
 *   # upstreams: [{name: orders-v1, weight: 90}, {name: orders-v2, weight: 10}]
 *   canary: [{when: {header: {name: x-canary, exact: "1"}}, upstream: orders-v2}]
 *   colour: {header: x-sluice-colour, value: blue}
 *   timeouts: {request: 10s, upstreamResponse: 2s}
 *   retries: {attempts: 3, statuses: [503]}
 *   pipeline: api-auth           # a Pipeline's filters run first,
 *   filters:                     # then the route's own
 *     - {kind: header, config: {request: {set: {x-team: shop}}}}
 *   disableGlobal: [served-by]   # GlobalFilter filters this route leaves out
 *   tracing: {samplingRatio: 1}  # overrides the listener's
 *   websocket: false             # refuse WebSocket upgrades (default: allowed)
 * }</pre>
 *
 * @param listeners names of the listeners this route is served on; empty means all
 * @param hosts host names ({@code api.example.com}) or wildcards ({@code *.example.com}); empty means any
 * @param priority higher wins among routes that match the same request; default 0
 * @param match conditions on the request; default matches every path
 * @param upstream name of the Upstream to proxy to; exactly one of this, {@code upstreams} and
 *     {@code directResponse}
 * @param rewrite changes to the request before it is proxied
 * @param directResponse answer from the gateway itself instead of proxying
 * @param upstreams a weighted split over several Upstreams, instead of {@code upstream}
 * @param canary rules that send matching requests to another Upstream, tried in order before the
 *     split; only with {@code upstream} or {@code upstreams}
 * @param colour a header the route sets on the requests it takes (traffic colouring)
 * @param timeouts the route's own timeouts
 * @param retries replaces the retry policy of the upstream(s) for this route
 * @param filters the route's own filters, run after its pipeline's (see {@link FilterSpec}); a
 *     filter with the name of a GlobalFilter's filter replaces that one for this route
 * @param pipeline name of a Pipeline whose filters run before the route's own
 * @param disableGlobal names of GlobalFilter filters that do not run for this route
 * @param tracing overrides of the listener's tracing settings for this route
 * @param websocket whether a WebSocket handshake ({@code Upgrade: websocket}) on this route becomes
 *     a tunnel to the upstream; null (left out) means yes. With {@code false} the request is
 *     forwarded as a plain request, without its {@code Upgrade} (as for any other protocol)
 */
public record RouteSpec(
    List<String> listeners,
    List<String> hosts,
    Integer priority,
    RouteMatch match,
    @Nullable String upstream,
    @Nullable Rewrite rewrite,
    @Nullable DirectResponse directResponse,
    List<WeightedUpstream> upstreams,
    List<CanaryRule> canary,
    @Nullable Colour colour,
    @Nullable RouteTimeouts timeouts,
    @Nullable RetryPolicy retries,
    List<FilterSpec> filters,
    @Nullable String pipeline,
    List<String> disableGlobal,
    @Nullable RouteTracing tracing,
    @Nullable Boolean websocket)
    implements Spec {

  public RouteSpec {
    listeners = listeners == null ? List.of() : List.copyOf(listeners);
    hosts = hosts == null ? List.of() : List.copyOf(hosts);
    priority = priority == null ? 0 : priority;
    match = match == null ? RouteMatch.ANY : match;
    upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
    canary = canary == null ? List.of() : List.copyOf(canary);
    filters = filters == null ? List.of() : List.copyOf(filters);
    disableGlobal = disableGlobal == null ? List.of() : List.copyOf(disableGlobal);
  }

  /** A route with WebSocket upgrades allowed (the default). */
  @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
  public RouteSpec(List<String> listeners, List<String> hosts, Integer priority, RouteMatch match,
      @Nullable String upstream, @Nullable Rewrite rewrite, @Nullable DirectResponse directResponse,
      List<WeightedUpstream> upstreams, List<CanaryRule> canary, @Nullable Colour colour,
      @Nullable RouteTimeouts timeouts, @Nullable RetryPolicy retries, List<FilterSpec> filters,
      @Nullable String pipeline, List<String> disableGlobal, @Nullable RouteTracing tracing) {
    this(listeners, hosts, priority, match, upstream, rewrite, directResponse, upstreams, canary, colour, timeouts,
        retries, filters, pipeline, disableGlobal, tracing, null);
  }

  /** Whether WebSocket handshakes on this route become tunnels ({@link #websocket}, default yes). */
  public boolean websocketAllowed() {
    return websocket == null || websocket;
  }

  /** A route without a split, canary rules, colour, timeouts, retries, filters or tracing of its own. */
  @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
  public RouteSpec(List<String> listeners, List<String> hosts, Integer priority, RouteMatch match,
      @Nullable String upstream, @Nullable Rewrite rewrite, @Nullable DirectResponse directResponse) {
    this(listeners, hosts, priority, match, upstream, rewrite, directResponse, null, null, null, null, null, null, null, null, null, null);
  }

  /** Every Upstream the route can send to: {@code upstream}, the split's and the canary rules', once each. */
  public List<String> upstreamNames() {
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    if (upstream != null) names.add(upstream);
    for (WeightedUpstream w : upstreams) {
      if (w.name() != null) names.add(w.name());
    }
    for (CanaryRule c : canary) {
      if (c.upstream() != null) names.add(c.upstream());
    }
    return List.copyOf(names);
  }

  @Override
  public List<ObjectRef> references() {
    List<ObjectRef> refs = new ArrayList<>();
    for (String l : listeners) refs.add(new ObjectRef(Kind.LISTENER, l));
    for (String u : upstreamNames()) refs.add(new ObjectRef(Kind.UPSTREAM, u));
    if (pipeline != null) refs.add(new ObjectRef(Kind.PIPELINE, pipeline));
    refs.addAll(FilterSpecs.references(filters));
    return refs;
  }
}
