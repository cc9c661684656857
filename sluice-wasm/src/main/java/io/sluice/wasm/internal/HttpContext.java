package io.sluice.wasm.internal;

import io.sluice.filter.Exchange;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One request's proxy-wasm HTTP context: its id in its VM, the exchange the host functions read
 * and edit while the plugin is called for it, and what the plugin asked for (a local response, a
 * paused request, a replaced body). Used on the exchange's event loop only.
 */
final class HttpContext {
  private final PluginVm vm;
  private final int id;
  private final Exchange exchange;
  private boolean responsePhase;
  private @Nullable LocalResponse localResponse;
  private @Nullable CompletableFuture<FilterResult> paused;
  /** Which body {@link #body} means: the proxy-wasm buffer types HttpRequestBody and HttpResponseBody. */
  static final int REQUEST = 0;
  static final int RESPONSE = 1;

  private byte @Nullable [] requestBody;
  private byte @Nullable [] responseBody;
  private boolean ended;
  /** The trailers of the body being ended, during an {@code on_*_trailers} call only. */
  private @Nullable Headers trailers;
  private boolean responseTrailers;
  /** How many properties a plugin can set on one request, and how long each path and value can be. */
  static final int MAX_PROPERTIES = 64;
  static final int MAX_PROPERTY_BYTES = 16 * 1024;
  /** Properties the plugin set on this request ({@code proxy_set_property}); made on the first set. */
  private @Nullable Map<String, String> properties;

  HttpContext(PluginVm vm, int id, Exchange exchange) {
    this.vm = vm;
    this.id = id;
    this.exchange = exchange;
  }

  PluginVm vm() {
    return vm;
  }

  int id() {
    return id;
  }

  Exchange exchange() {
    return exchange;
  }

  boolean responsePhase() {
    return responsePhase;
  }

  void enterResponsePhase() {
    responsePhase = true;
  }

  /** The plugin called {@code proxy_send_local_response}. */
  void respond(LocalResponse response) {
    localResponse = response;
    // a paused request answered from another callback (a tick) is answered now
    if (paused != null) resume();
  }

  /** The local response the plugin asked for, once; null if none. */
  @Nullable LocalResponse takeLocalResponse() {
    LocalResponse r = localResponse;
    localResponse = null;
    return r;
  }

  /** The request waits until the plugin calls {@code proxy_continue_stream} (or the filter deadline). */
  CompletableFuture<FilterResult> pause() {
    CompletableFuture<FilterResult> f = new CompletableFuture<>();
    paused = f;
    vm.paused(this);
    return f;
  }

  /** {@code proxy_continue_stream}: resumes a paused request; false if none was paused. */
  boolean resume() {
    CompletableFuture<FilterResult> f = paused;
    if (f == null) return false;
    paused = null;
    vm.resumed(this);
    LocalResponse r = takeLocalResponse();
    f.complete(r == null ? FilterResult.CONTINUE : FilterResult.respond(r));
    return true;
  }

  /** The body (or piece of it) of {@code which} the plugin is being called with, as it left it; null outside a body call. */
  byte @Nullable [] body(int which) {
    return which == REQUEST ? requestBody : responseBody;
  }

  /** The plugin failed while this request was paused (in a callout's callback): the request fails as the filter's policy says. */
  void fail(PluginFailure failure) {
    CompletableFuture<FilterResult> f = paused;
    if (f == null) return;
    paused = null;
    vm.resumed(this);
    f.completeExceptionally(failure);
  }

  void setBody(int which, byte @Nullable [] body) {
    if (which == REQUEST) requestBody = body;
    else responseBody = body;
  }

  /** The trailers the plugin is being called with, if {@code response} is the direction asked; else null. */
  @Nullable Headers trailers(boolean response) {
    return trailers != null && responseTrailers == response ? trailers : null;
  }

  void setTrailers(@Nullable Headers trailers, boolean response) {
    this.trailers = trailers;
    this.responseTrailers = response;
  }

  /** The property {@code path} the plugin set on this request; null if it set none. */
  @Nullable String property(String path) {
    return properties == null ? null : properties.get(path);
  }

  /**
   * Sets the request's property {@code path} to {@code value}, or removes it when null; false
   * (nothing changed) when it would be a property past {@link #MAX_PROPERTIES}.
   */
  boolean setProperty(String path, @Nullable String value) {
    if (value == null) {
      if (properties != null) properties.remove(path);
      return true;
    }
    if (properties == null) properties = new HashMap<>();
    if (properties.size() >= MAX_PROPERTIES && !properties.containsKey(path)) return false;
    properties.put(path, value);
    return true;
  }

  /** Marks the context ended; true the first time. */
  boolean end() {
    if (ended) return false;
    ended = true;
    return true;
  }
}
