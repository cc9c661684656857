package io.sluice.wasm.internal;

import io.sluice.filter.Attribute;
import io.sluice.filter.Body;
import io.sluice.filter.BodyChunk;
import io.sluice.filter.ChunkResult;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A proxy-wasm plugin as a filter: each request gets an HTTP context in its event loop's VM
 * ({@link VmSlots}); the request and response phases call the plugin's header callbacks, the
 * body phases (buffered: {@code requestBody}, {@code responseBody}) or the chunk hooks (streamed:
 * {@code streamRequestBody}, {@code streamResponseBody}) its body callbacks, and the end deletes
 * the context.
 *
 * <p>A plugin that fails (trap, exit, out of memory, over its CPU budget) fails only the request
 * in progress: fail-closed answers 500 {@code wasm_failure}, fail-open goes on without the plugin.
 * Each failure is counted ({@link #failures()}) and logged at WARN, at most one line per 10 s per
 * plugin; the VM is replaced in the background.
 */
public final class WasmFilter implements Filter {
  private static final Logger LOG = LoggerFactory.getLogger(WasmFilter.class);
  private static final long LOG_EVERY_NANOS = 10_000_000_000L;
  private static final Attribute<HttpContext> CONTEXT = Attribute.of("wasm.context");

  private final VmSlots vms;
  private final PluginSettings settings;
  private final boolean failOpen;
  private final Bodies bodies;
  private final FilterResult failed;
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
  private final AtomicLong unlogged = new AtomicLong();

  /**
   * Which bodies the plugin reads and how (byte limits; 0: not that way): buffered through the
   * filter SPI's body phases, or streamed through its chunk hooks. A body is read one way or none.
   */
  public record Bodies(long requestBody, long responseBody, long streamRequestBody, long streamResponseBody) {
    public Bodies {
      if (requestBody > 0 && streamRequestBody > 0) throw new IllegalArgumentException("the request body is buffered or streamed, not both");
      if (responseBody > 0 && streamResponseBody > 0) throw new IllegalArgumentException("the response body is buffered or streamed, not both");
    }
  }

  public WasmFilter(VmSlots vms, PluginSettings settings, boolean failOpen, Bodies bodies) {
    this.vms = vms;
    this.settings = settings;
    this.failOpen = failOpen;
    this.bodies = bodies;
    this.failed = FilterResult.respond("wasm_failure",
        LocalResponse.error(500, "wasm_failure", "the wasm plugin failed on this request"));
  }

  /** How many requests the plugin failed (traps, exits, out of memory, CPU budget, no VM ready). */
  public long failures() {
    return failures.get();
  }

  @Override
  public long bufferResponseBody() {
    return bodies.responseBody();
  }

  @Override
  public long bufferRequestBody() {
    return bodies.requestBody();
  }

  @Override
  public long streamRequestBody() {
    return bodies.streamRequestBody();
  }

  @Override
  public long streamResponseBody() {
    return bodies.streamResponseBody();
  }

  @Override
  public FilterResult onRequest(Exchange x) {
    PluginVm vm = vms.forCurrentThread(x.executor(), this, this::count);
    if (vm == null) return fail(new PluginFailure("starting", "no VM is ready on this event loop yet"));
    HttpContext c = new HttpContext(vm, vm.newContextId(), x);
    try {
      vm.createHttpContext(c);
      x.setAttribute(CONTEXT, c);
      boolean hasBody = x.request().hasBody();
      int status = vm.onRequestHeaders(c, headerCount(x), !hasBody);
      LocalResponse r = c.takeLocalResponse();
      if (r != null) return FilterResult.respond(r);
      boolean bufferedBody = hasBody && bodies.requestBody() > 0;
      if (status == 0) return bufferedBody ? requestBody(x, c) : FilterResult.CONTINUE;
      if (!bufferedBody) return FilterResult.async(c.pause().exceptionally(e -> failedWhilePaused(x, e)));
      // The body goes to the plugin once the headers are let go on, in a callback of its own on the
      // loop: the call that continued them (a tick) is still running in the plugin.
      return FilterResult.async(c.pause().thenApplyAsync(
          result -> result == FilterResult.CONTINUE && x.attribute(CONTEXT) == c ? requestBody(x, c) : result, x.executor())
          .exceptionally(e -> failedWhilePaused(x, e)));
    } catch (PluginFailure e) {
      x.setAttribute(CONTEXT, null);
      return fail(e);
    }
  }

  /** {@code on_request_body} with the whole (buffered) body: the request phase of a plugin with {@code requestBody}. */
  private FilterResult requestBody(Exchange x, HttpContext c) {
    @Nullable Body body = x.request().body();
    byte[] bytes = body == null ? new byte[0] : body.toByteArray();
    c.setBody(HttpContext.REQUEST, bytes);
    try {
      int status = c.vm().onRequestBody(c, bytes.length, true);
      LocalResponse r = c.takeLocalResponse();
      if (r != null) return FilterResult.respond(r);
      byte[] out = c.body(HttpContext.REQUEST);
      if (out != null && out != bytes) x.request().setBody(out);
      return status == 0 ? FilterResult.CONTINUE : FilterResult.async(c.pause().exceptionally(e -> failedWhilePaused(x, e)));
    } catch (PluginFailure e) {
      x.setAttribute(CONTEXT, null);
      return fail(e);
    } finally {
      c.setBody(HttpContext.REQUEST, null);
    }
  }

  @Override
  public ChunkResult onRequestChunk(Exchange x, BodyChunk chunk) {
    return chunk(x, chunk, HttpContext.REQUEST);
  }

  @Override
  public ChunkResult onResponseChunk(Exchange x, BodyChunk chunk) {
    return chunk(x, chunk, HttpContext.RESPONSE);
  }

  /**
   * A piece of a streamed body to {@code on_request_body}/{@code on_response_body}: the plugin may
   * rewrite it ({@code proxy_set_buffer_bytes}); StopIterationAndBuffer (or StopIterationNoBuffer)
   * holds it, so the next call gets it followed by the next piece, as Envoy buffers it.
   */
  private ChunkResult chunk(Exchange x, BodyChunk chunk, int which) {
    HttpContext c = x.attribute(CONTEXT);
    if (c == null) return ChunkResult.CONTINUE;
    java.nio.ByteBuffer data = chunk.data();
    byte[] bytes = new byte[data.remaining()];
    data.get(data.position(), bytes);
    c.setBody(which, bytes);
    boolean response = which == HttpContext.RESPONSE;
    // As Envoy: a body that ends with trailers gets end_of_stream false, then the trailers callback.
    Headers trailers = chunk.isLast() && c.vm().hasTrailersCallback(response) ? chunk.trailers() : null;
    int trailerCount = trailers == null ? 0 : count(trailers);
    boolean endOfStream = chunk.isLast() && trailerCount == 0;
    int status;
    try {
      status = response ? c.vm().onResponseBody(c, bytes.length, endOfStream) : c.vm().onRequestBody(c, bytes.length, endOfStream);
      if (trailerCount > 0) {
        c.setTrailers(trailers, response);
        try {
          c.vm().onTrailers(c, response, trailerCount);
        } finally {
          c.setTrailers(null, response);
        }
      }
    } catch (PluginFailure e) {
      x.setAttribute(CONTEXT, null);
      c.setBody(which, null);
      if (fail(e) != FilterResult.CONTINUE) throw new IllegalStateException("the wasm plugin failed on a piece of the body", e);
      return ChunkResult.CONTINUE;
    }
    byte[] out = c.body(which);
    c.setBody(which, null);
    if (c.takeLocalResponse() != null) {
      // The head went on before the body: a streamed body can only be cut, as any chunk failure does.
      throw new IllegalStateException(settings.place() + ": the wasm plugin sent a local response from a streamed body callback");
    }
    if (out != null && out != bytes) chunk.replace(out);
    return status == 0 ? ChunkResult.CONTINUE : ChunkResult.PAUSE;
  }

  private static int count(Headers headers) {
    int[] n = {0};
    headers.forEach((k, v) -> n[0]++);
    return n[0];
  }

  /** The plugin failed in a callback for this paused request (a callout's reply): on the exchange's loop. */
  private FilterResult failedWhilePaused(Exchange x, Throwable e) {
    x.setAttribute(CONTEXT, null);
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    return fail(cause instanceof PluginFailure p ? p : new PluginFailure("host", "the plugin failed: " + cause, cause));
  }

  private static int headerCount(Exchange x) {
    int[] n = {0};
    x.request().headers().forEach((k, v) -> n[0]++);
    return n[0];
  }

  @Override
  public FilterResult onResponse(Exchange x) {
    HttpContext c = x.attribute(CONTEXT);
    if (c == null) return FilterResult.CONTINUE;
    c.enterResponsePhase();
    try {
      c.vm().onResponseHeaders(c, 0, false);
      LocalResponse r = c.takeLocalResponse();
      return r == null ? FilterResult.CONTINUE : FilterResult.respond(r);
    } catch (PluginFailure e) {
      x.setAttribute(CONTEXT, null);
      return fail(e);
    }
  }

  @Override
  public void onResponseBody(Exchange x) {
    HttpContext c = x.attribute(CONTEXT);
    if (c == null) return;
    @Nullable Body body = x.response().body();
    byte[] bytes = body == null ? new byte[0] : body.toByteArray();
    c.setBody(HttpContext.RESPONSE, bytes);
    try {
      c.vm().onResponseBody(c, bytes.length, true);
    } catch (PluginFailure e) {
      x.setAttribute(CONTEXT, null);
      if (fail(e) != FilterResult.CONTINUE) throw new IllegalStateException("the wasm plugin failed on the response body", e);
      return;
    }
    byte[] out = c.body(HttpContext.RESPONSE);
    if (out != null && out != bytes) x.response().setBody(out);
    c.setBody(HttpContext.RESPONSE, null);
  }

  @Override
  public void onEnd(Exchange x) {
    HttpContext c = x.attribute(CONTEXT);
    if (c == null || !c.end()) return;
    try {
      c.vm().endHttpContext(c);
    } catch (PluginFailure e) {
      count(e);
    }
  }

  private FilterResult fail(PluginFailure e) {
    count(e);
    return failOpen ? FilterResult.CONTINUE : failed;
  }

  private void count(PluginFailure e) {
    failures.incrementAndGet();
    long now = System.nanoTime();
    long last = lastLog.get();
    if (now - last >= LOG_EVERY_NANOS && lastLog.compareAndSet(last, now)) {
      long left = unlogged.getAndSet(0);
      LOG.warn("{}: wasm plugin failed ({}): {}{}; the request {}", settings.place(), e.kind(), e.getMessage(),
          left == 0 ? "" : " (" + left + " failures not logged in the last 10 s)", failOpen ? "went on without it (failurePolicy: open)" : "got 500 wasm_failure");
    } else {
      unlogged.incrementAndGet();
    }
  }
}
