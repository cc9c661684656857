package io.sluice.wasm.internal;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * One instance of a plugin (a proxy-wasm VM with its root context), used by one event loop only:
 * every call into it is made on that loop's thread, so it needs no lock. Made off the loops by
 * {@link #start}, which runs the module's initialiser, creates the root context and calls
 * {@code proxy_on_vm_start} and {@code proxy_on_configure}.
 *
 * <p>Every call runs under the plugin's CPU budget ({@link CpuWatchdog}); a call that traps, exits,
 * runs out of memory or over its budget throws {@link PluginFailure}, and the VM is then
 * {@linkplain #broken() broken} for good: its memory may be half-updated.
 */
public final class PluginVm implements AutoCloseable {
  static final int ROOT_CONTEXT_ID = 1;
  /** The budget of starting a VM (off the loops): initialisers may build tables, and run cold. */
  private static final long START_BUDGET_NANOS = 10_000_000_000L;

  private final PluginSettings settings;
  private final Instance instance;
  private final Memory memory;
  private final HostFunctions host;
  private final ExportFunction malloc;
  private final ExportFunction onContextCreate;
  private final @Nullable ExportFunction onRequestHeaders;
  private final @Nullable ExportFunction onResponseHeaders;
  private final @Nullable ExportFunction onResponseBody;
  private final @Nullable ExportFunction onRequestBody;
  private final @Nullable ExportFunction onRequestTrailers;
  private final @Nullable ExportFunction onResponseTrailers;
  private final @Nullable ExportFunction onDone;
  private final @Nullable ExportFunction onLog;
  private final @Nullable ExportFunction onDelete;
  private final @Nullable ExportFunction onTick;
  private final @Nullable ExportFunction onQueueReady;
  /** The shared queues this VM registered (tokens): a loop's claim sends it their waiting wake-ups. */
  private final java.util.List<Integer> queues = new java.util.ArrayList<>();
  private final @Nullable ExportFunction onHttpCallResponse;
  private int nextContextId = ROOT_CONTEXT_ID + 1;
  private boolean broken;
  private volatile long tickPeriodMillis;
  private volatile @Nullable Ticker ticker;
  /** Requests the plugin paused, by context id: a tick can make one effective and continue it. */
  private final java.util.HashMap<Integer, HttpContext> paused = new java.util.HashMap<>();

  private PluginVm(PluginSettings settings) {
    this.settings = settings;
    this.host = new HostFunctions(this, settings);
    int maxPages = (int) Math.min(MemoryLimits.MAX_PAGES, Math.max(1, settings.maxMemoryBytes() / Memory.PAGE_SIZE));
    this.instance = Instance.builder(settings.module().module())
        .withImportValues(host.imports(settings.module().module()))
        .withMemoryLimits(new MemoryLimits(Math.min(initialPages(settings), maxPages), maxPages))
        // A byte[] read and written through VarHandles: the plugin's loads and stores (most of
        // what an allocator and a GC do) cost about half what the default ByteBuffer memory does.
        .withMemoryFactory(ByteArrayMemory::new)
        .withMachineFactory(settings.module().machines())
        .withStart(false)
        .build();
    this.memory = instance.memory();
    this.malloc = instance.export(has("proxy_on_memory_allocate") ? "proxy_on_memory_allocate" : "malloc");
    this.onContextCreate = instance.export("proxy_on_context_create");
    this.onRequestHeaders = optional("proxy_on_request_headers");
    this.onResponseHeaders = optional("proxy_on_response_headers");
    this.onResponseBody = optional("proxy_on_response_body");
    this.onRequestBody = optional("proxy_on_request_body");
    this.onRequestTrailers = optional("proxy_on_request_trailers");
    this.onResponseTrailers = optional("proxy_on_response_trailers");
    this.onDone = optional("proxy_on_done");
    this.onLog = optional("proxy_on_log");
    this.onDelete = optional("proxy_on_delete");
    this.onTick = optional("proxy_on_tick");
    this.onQueueReady = optional("proxy_on_queue_ready");
    this.onHttpCallResponse = optional("proxy_on_http_call_response");
  }

  private static int initialPages(PluginSettings settings) {
    var section = settings.module().module().memorySection();
    if (section.isEmpty() || section.get().memoryCount() == 0) return 1;
    return section.get().getMemory(0).limits().initialPages();
  }

  /**
   * Instantiates the plugin and starts its root context; call off the event loops.
   *
   * @throws PluginFailure when the module traps while starting or refuses its configuration
   */
  public static PluginVm start(PluginSettings settings) {
    PluginVm vm;
    try {
      vm = new PluginVm(settings);
    } catch (ChicoryException e) {
      throw new PluginFailure("trap", "the module cannot be instantiated: " + e.getMessage(), e);
    }
    boolean ok = false;
    try {
      if (vm.has("_initialize")) vm.call(START_BUDGET_NANOS, vm.instance.export("_initialize"));
      else if (vm.has("_start")) vm.call(START_BUDGET_NANOS, vm.instance.export("_start"));
      vm.call(START_BUDGET_NANOS, vm.onContextCreate, ROOT_CONTEXT_ID, 0);
      if (vm.has("proxy_on_vm_start")
          && vm.call(START_BUDGET_NANOS, vm.instance.export("proxy_on_vm_start"), ROOT_CONTEXT_ID, utf8Length(settings.vmConfiguration())) == 0) {
        throw new PluginFailure("refused", "the plugin's proxy_on_vm_start refused its vmConfiguration");
      }
      if (vm.has("proxy_on_configure")
          && vm.call(START_BUDGET_NANOS, vm.instance.export("proxy_on_configure"), ROOT_CONTEXT_ID, utf8Length(settings.configuration())) == 0) {
        throw new PluginFailure("refused", "the plugin's proxy_on_configure refused its configuration");
      }
      ok = true;
      return vm;
    } finally {
      if (!ok) vm.close();
    }
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private boolean has(String export) {
    var section = settings.module().module().exportSection();
    for (int i = 0; i < section.exportCount(); i++) {
      Export e = section.getExport(i);
      if (e.name().equals(export)) return true;
    }
    return false;
  }

  private @Nullable ExportFunction optional(String name) {
    return has(name) ? instance.export(name) : null;
  }

  /** True after a call failed: the VM must not be called again. */
  public boolean broken() {
    return broken;
  }

  PluginSettings settings() {
    return settings;
  }

  Memory memory() {
    return memory;
  }

  HostFunctions host() {
    return host;
  }

  /** The tick period the plugin asked for, in milliseconds; 0: no ticks. */
  long tickPeriodMillis() {
    return tickPeriodMillis;
  }

  /** {@code proxy_set_tick_period_milliseconds}; may come while starting (off the loop) or from a callback on the loop. */
  void setTickPeriod(long millis) {
    tickPeriodMillis = millis;
    Ticker t = ticker;
    if (t != null) t.poke();
  }

  /** Binds the VM to the loop that claimed it: from now on its ticks run there. Called on that loop. */
  void attach(Ticker ticker) {
    this.ticker = ticker;
    ticker.poke();
    SharedQueues.INSTANCE.claimed(queues);
  }

  /** Whether a loop claimed this VM: its callbacks (ticks, queue wake-ups) can run there. Any thread. */
  boolean attached() {
    return ticker != null;
  }

  /** The plugin registered the shared queue {@code token}; on the VM's thread. */
  void registeredQueue(int token) {
    if (!queues.contains(token)) queues.add(token);
  }

  /** Schedules {@code on_queue_ready} for {@code queue} on this VM's loop; false if no loop claimed it. Any thread. */
  boolean queueReady(SharedQueues.Queue queue) {
    Ticker t = ticker;
    if (t == null) return false;
    try {
      t.queueReady(queue);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException e) {
      ticker = null; // its loop has shut down (the gateway closed): it wakes no more
      return false;
    }
  }

  /** {@code proxy_on_queue_ready} on the root context; on the VM's loop. */
  void onQueueReady(int token) {
    if (onQueueReady == null) return;
    try {
      call(onQueueReady, ROOT_CONTEXT_ID, token);
    } finally {
      host.leave();
    }
  }

  /** Remembers a request the plugin paused, until it is resumed or ends. */
  void paused(HttpContext context) {
    paused.put(context.id(), context);
  }

  void resumed(HttpContext context) {
    paused.remove(context.id());
  }

  /** The paused request with context id {@code id}, or null. */
  @Nullable HttpContext pausedContext(int id) {
    return paused.get(id);
  }

  /** {@code proxy_on_tick} on the root context. */
  void onTick() {
    if (onTick == null) return;
    try {
      call(onTick, ROOT_CONTEXT_ID);
    } finally {
      host.leave();
    }
  }

  /** {@code proxy_on_http_call_response} on the root context: a callout's reply ({@link HttpCallouts}). */
  void onHttpCallResponse(int token, int headers, int bodySize, int trailers) {
    if (onHttpCallResponse == null) return;
    try {
      call(onHttpCallResponse, ROOT_CONTEXT_ID, token, headers, bodySize, trailers);
    } finally {
      host.leave();
    }
  }

  /** A new HTTP context id, unique in this VM. */
  int newContextId() {
    int id = nextContextId++;
    if (nextContextId <= ROOT_CONTEXT_ID) nextContextId = ROOT_CONTEXT_ID + 1;
    return id;
  }

  /** Allocates {@code size} bytes in the plugin's memory with its own allocator. */
  int allocate(int size) {
    // The allocator runs inside the call that asked for the data, under that call's budget.
    return (int) malloc.apply(size)[0];
  }

  void createHttpContext(HttpContext context) {
    host.enter(context);
    try {
      call(onContextCreate, context.id(), ROOT_CONTEXT_ID);
    } finally {
      host.leave();
    }
  }

  /** {@code proxy_on_request_headers}: 0 continue, anything else stop. */
  int onRequestHeaders(HttpContext context, int headers, boolean endOfStream) {
    return callIn(context, onRequestHeaders, context.id(), headers, endOfStream ? 1 : 0);
  }

  int onResponseHeaders(HttpContext context, int headers, boolean endOfStream) {
    return callIn(context, onResponseHeaders, context.id(), headers, endOfStream ? 1 : 0);
  }

  /** {@code proxy_on_request_body}: 0 continue, 1 StopIterationAndBuffer, 2 StopIterationNoBuffer. */
  int onRequestBody(HttpContext context, int size, boolean endOfStream) {
    return callIn(context, onRequestBody, context.id(), size, endOfStream ? 1 : 0);
  }

  /** Whether the plugin exports {@code proxy_on_request_trailers} (or the response one). */
  boolean hasTrailersCallback(boolean response) {
    return (response ? onResponseTrailers : onRequestTrailers) != null;
  }

  /** {@code proxy_on_request_trailers} or {@code proxy_on_response_trailers}. */
  int onTrailers(HttpContext context, boolean response, int count) {
    return callIn(context, response ? onResponseTrailers : onRequestTrailers, context.id(), count);
  }

  int onResponseBody(HttpContext context, int size, boolean endOfStream) {
    return callIn(context, onResponseBody, context.id(), size, endOfStream ? 1 : 0);
  }

  /** {@code proxy_on_done}, {@code proxy_on_log}, {@code proxy_on_delete}: the context's end. */
  void endHttpContext(HttpContext context) {
    paused.remove(context.id());
    callIn(context, onDone, context.id());
    callIn(context, onLog, context.id());
    callIn(context, onDelete, context.id());
  }

  private int callIn(HttpContext context, @Nullable ExportFunction f, long... args) {
    if (f == null) return 0;
    host.enter(context);
    try {
      return call(f, args);
    } finally {
      host.leave();
    }
  }

  private int call(ExportFunction f, long... args) {
    return call(settings.cpuBudgetNanos(), f, args);
  }

  private int call(long budgetNanos, ExportFunction f, long... args) {
    if (broken) throw new PluginFailure("broken", "the plugin failed earlier on this event loop");
    CpuWatchdog.Call budget = CpuWatchdog.INSTANCE.current();
    budget.begin(budgetNanos);
    try {
      long[] r = f.apply(args);
      return r == null || r.length == 0 ? 0 : (int) r[0];
    } catch (ChicoryInterruptedException e) {
      broken = true;
      throw new PluginFailure("cpu_budget", "the plugin ran past its CPU budget of " + budgetNanos / 1_000_000 + " ms", e);
    } catch (PluginFailure e) {
      broken = true;
      throw e;
    } catch (ChicoryException e) {
      broken = true;
      throw new PluginFailure("trap", "the plugin trapped: " + e.getMessage(), e);
    } catch (StackOverflowError e) {
      broken = true;
      throw new PluginFailure("stack_overflow", "the plugin recursed too deep", e);
    } catch (RuntimeException e) {
      broken = true;
      throw new PluginFailure("host", "the plugin failed: " + e, e);
    } finally {
      budget.end();
    }
  }

  /** Marks the VM unusable; its memory goes with the last request that holds it. */
  @Override
  public void close() {
    broken = true;
  }
}
