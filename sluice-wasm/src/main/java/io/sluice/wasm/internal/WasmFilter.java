package io.sluice.wasm.internal;

import io.sluice.filter.Attribute;
import io.sluice.filter.Body;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A proxy-wasm plugin as a filter: each request gets an HTTP context in its event loop's VM
 * ({@link VmSlots}); the request and response phases call the plugin's header callbacks, the
 * response body phase its body callback (when {@code responseBody} is set), and the end deletes the
 * context.
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
  private final long responseBody;
  private final FilterResult failed;
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
  private final AtomicLong unlogged = new AtomicLong();

  public WasmFilter(VmSlots vms, PluginSettings settings, boolean failOpen, long responseBody) {
    this.vms = vms;
    this.settings = settings;
    this.failOpen = failOpen;
    this.responseBody = responseBody;
    this.failed = FilterResult.respond("wasm_failure",
        LocalResponse.error(500, "wasm_failure", "the wasm plugin failed on this request"));
  }

  /** How many requests the plugin failed (traps, exits, out of memory, CPU budget, no VM ready). */
  public long failures() {
    return failures.get();
  }

  @Override
  public long bufferResponseBody() {
    return responseBody;
  }

  @Override
  public FilterResult onRequest(Exchange x) {
    PluginVm vm = vms.forCurrentThread(x.executor(), this, this::count);
    if (vm == null) return fail(new PluginFailure("starting", "no VM is ready on this event loop yet"));
    HttpContext c = new HttpContext(vm, vm.newContextId(), x);
    try {
      vm.createHttpContext(c);
      x.setAttribute(CONTEXT, c);
      int status = vm.onRequestHeaders(c, headerCount(x), !x.request().hasBody());
      LocalResponse r = c.takeLocalResponse();
      if (r != null) return FilterResult.respond(r);
      return status == 0 ? FilterResult.CONTINUE : FilterResult.async(c.pause().exceptionally(e -> failedWhilePaused(x, e)));
    } catch (PluginFailure e) {
      x.setAttribute(CONTEXT, null);
      return fail(e);
    }
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
    c.setResponseBody(bytes);
    try {
      c.vm().onResponseBody(c, bytes.length, true);
    } catch (PluginFailure e) {
      x.setAttribute(CONTEXT, null);
      if (fail(e) != FilterResult.CONTINUE) throw new IllegalStateException("the wasm plugin failed on the response body", e);
      return;
    }
    byte[] out = c.responseBody();
    if (out != null && out != bytes) x.response().setBody(out);
    c.setResponseBody(null);
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
