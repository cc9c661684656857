package io.sluice.wasm.internal;

import io.sluice.filter.UpstreamCall;
import io.sluice.filter.UpstreamReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * proxy-wasm HTTP callouts of one {@link PluginVm}: {@code proxy_http_call} dispatched through the
 * data plane to a Sluice Upstream (the call's "cluster" is the Upstream's name, which the filter's
 * {@code upstreams} must list), and the reply delivered to the plugin's root context with
 * {@code proxy_on_http_call_response} on the VM's event loop, where the plugin reads it with
 * {@code proxy_get_header_map_pairs}/{@code _value} ({@code HttpCallResponseHeaders},
 * {@code HttpCallResponseTrailers}) and {@code proxy_get_buffer_bytes}
 * ({@code HttpCallResponseBody}) during that callback.
 *
 * <p>A call is made from a request's callback (its exchange carries it: {@code Exchange.upstreams()},
 * so the Upstream's pools, balancer, health, breakers, retry policy and timeouts apply); a call
 * from the root context (a tick) has no request to carry it and is refused. A failed call
 * (timeout, no healthy endpoint, open breaker, a reply over {@link #MAX_RESPONSE_BODY}) is
 * delivered as Envoy delivers one: no headers, no body, no trailers.
 *
 * <p>Threading: the VM's event loop only, like the VM.
 */
final class HttpCallouts {
  /** The most reply body a callout takes: the plugin reads it into its own memory whole. */
  static final long MAX_RESPONSE_BODY = 1024 * 1024;

  private final PluginVm vm;
  private final PluginSettings settings;
  private int nextToken = 1;
  /** The reply being delivered, while {@code proxy_on_http_call_response} runs; null otherwise. */
  private @Nullable UpstreamReply delivering;

  HttpCallouts(PluginVm vm, PluginSettings settings) {
    this.vm = vm;
    this.settings = settings;
  }

  /**
   * Starts a callout for {@code origin}'s request.
   *
   * @param headers the call's header map: {@code :method} (default GET), {@code :path} (default
   *     {@code /}), {@code :authority} (default the endpoint's address), then fields
   * @param timeoutMillis a deadline over all attempts; 0: the Upstream's own timeouts only
   * @return the call's token, or -1 when it is refused (no request, an Upstream the filter does not
   *     list, a header or path a request cannot carry)
   */
  int call(@Nullable HttpContext origin, String upstream, List<Map.Entry<String, String>> headers, byte[] body,
      long timeoutMillis) {
    if (origin == null || !settings.upstreams().contains(upstream)) return -1;
    UpstreamCall call;
    try {
      UpstreamCall.Builder b = UpstreamCall.to(upstream).body(body).maxResponseBody(MAX_RESPONSE_BODY);
      for (Map.Entry<String, String> h : headers) {
        switch (h.getKey().toLowerCase(Locale.ROOT)) {
          case ":method" -> b.method(h.getValue());
          case ":path" -> b.path(h.getValue());
          case ":authority" -> b.authority(h.getValue());
          case ":scheme", "content-length" -> {}
          default -> b.header(h.getKey(), h.getValue());
        }
      }
      if (timeoutMillis > 0) b.timeout(Duration.ofMillis(timeoutMillis));
      call = b.build();
    } catch (IllegalArgumentException e) {
      return -1;
    }
    int token = nextToken++;
    if (nextToken <= 0) nextToken = 1;
    origin.exchange().upstreams().call(call).whenComplete((reply, error) -> deliver(origin, token, reply));
    return token;
  }

  /** On the loop, in a task of its own: hands the reply (null: the call failed) to the plugin. */
  private void deliver(HttpContext origin, int token, @Nullable UpstreamReply reply) {
    if (vm.broken()) {
      origin.fail(new PluginFailure("broken", "the plugin failed on this event loop while its callout was under way"));
      return;
    }
    delivering = reply;
    try {
      vm.onHttpCallResponse(token, reply == null ? 0 : reply.headers().size() + 1, reply == null ? 0 : reply.body().length,
          reply == null ? 0 : reply.trailers().size());
    } catch (PluginFailure e) {
      origin.fail(e);
    } finally {
      delivering = null;
    }
  }

  /** The reply's header map ({@code :status} first, names in lower case), or null outside a delivery. */
  @Nullable List<Map.Entry<String, String>> headers() {
    UpstreamReply r = delivering;
    if (r == null) return null;
    List<Map.Entry<String, String>> out = new ArrayList<>(r.headers().size() + 1);
    out.add(Map.entry(":status", Integer.toString(r.status())));
    for (UpstreamCall.Header h : r.headers()) out.add(Map.entry(h.name().toLowerCase(Locale.ROOT), h.value()));
    return out;
  }

  /** The reply's trailer map, or null outside a delivery. */
  @Nullable List<Map.Entry<String, String>> trailers() {
    UpstreamReply r = delivering;
    if (r == null) return null;
    List<Map.Entry<String, String>> out = new ArrayList<>(r.trailers().size());
    for (UpstreamCall.Header h : r.trailers()) out.add(Map.entry(h.name().toLowerCase(Locale.ROOT), h.value()));
    return out;
  }

  /** The reply's body, or null outside a delivery. */
  byte @Nullable [] body() {
    UpstreamReply r = delivering;
    return r == null ? null : r.body();
  }
}
