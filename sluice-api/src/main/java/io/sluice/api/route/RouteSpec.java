package io.sluice.api.route;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
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
 *   upstream: orders             # or directResponse
 *   tracing: {samplingRatio: 1}  # overrides the listener's
 * }</pre>
 *
 * @param listeners names of the listeners this route is served on; empty means all
 * @param hosts host names ({@code api.example.com}) or wildcards ({@code *.example.com}); empty means any
 * @param priority higher wins among routes that match the same request; default 0
 * @param match conditions on the request; default matches every path
 * @param upstream name of the Upstream to proxy to; exactly one of this and {@code directResponse}
 * @param rewrite changes to the request before it is proxied
 * @param directResponse answer from the gateway itself instead of proxying
 * @param tracing overrides of the listener's tracing settings for this route
 */
public record RouteSpec(
    List<String> listeners,
    List<String> hosts,
    Integer priority,
    RouteMatch match,
    @Nullable String upstream,
    @Nullable Rewrite rewrite,
    @Nullable DirectResponse directResponse,
    @Nullable RouteTracing tracing)
    implements Spec {

  public RouteSpec {
    listeners = listeners == null ? List.of() : List.copyOf(listeners);
    hosts = hosts == null ? List.of() : List.copyOf(hosts);
    priority = priority == null ? 0 : priority;
    match = match == null ? RouteMatch.ANY : match;
  }

  /** A route without tracing overrides. */
  public RouteSpec(List<String> listeners, List<String> hosts, Integer priority, RouteMatch match,
      @Nullable String upstream, @Nullable Rewrite rewrite, @Nullable DirectResponse directResponse) {
    this(listeners, hosts, priority, match, upstream, rewrite, directResponse, null);
  }

  @Override
  public List<ObjectRef> references() {
    List<ObjectRef> refs = new ArrayList<>();
    for (String l : listeners) refs.add(new ObjectRef(Kind.LISTENER, l));
    if (upstream != null) refs.add(new ObjectRef(Kind.UPSTREAM, upstream));
    return refs;
  }
}
