package io.sluice.wasm.internal;

import java.lang.ref.WeakReference;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A VM's binding to its event loop: calls {@code proxy_on_tick} there every tick period the plugin
 * set ({@code proxy_set_tick_period_milliseconds}, at least {@link #MIN_PERIOD_MILLIS}). It stops
 * when the period is set to 0, when the VM breaks, or when the filter that owns the VM is gone (a
 * configuration replaced it: the filter is held weakly, so an old configuration's VMs stop ticking
 * once nothing uses them). Shared-queue wake-ups ({@link #queueReady}) run on the same loop. Runs
 * on the loop only, except {@link #queueReady}.
 */
final class Ticker implements Runnable {
  static final long MIN_PERIOD_MILLIS = 10;

  private final PluginVm vm;
  private final ScheduledExecutorService loop;
  private final WeakReference<Object> owner;
  private final Consumer<PluginFailure> failed;
  private boolean scheduled;

  Ticker(PluginVm vm, ScheduledExecutorService loop, Object owner, Consumer<PluginFailure> failed) {
    this.vm = vm;
    this.loop = loop;
    this.owner = new WeakReference<>(owner);
    this.failed = failed;
  }

  /** Schedules the next tick if the plugin wants ticks and none is scheduled. */
  void poke() {
    if (scheduled || vm.tickPeriodMillis() == 0 || vm.broken()) return;
    scheduled = true;
    loop.schedule(this, Math.max(MIN_PERIOD_MILLIS, vm.tickPeriodMillis()), TimeUnit.MILLISECONDS);
  }

  /** Calls {@code proxy_on_queue_ready} for {@code queue} on the loop; callable from any thread. */
  void queueReady(SharedQueues.Queue queue) {
    loop.execute(() -> {
      queue.woken();
      if (vm.broken()) {
        queue.wake(); // another registrant takes it, or the next claim
        return;
      }
      try {
        vm.onQueueReady(queue.token);
      } catch (PluginFailure e) {
        failed.accept(e);
      }
    });
  }

  @Override
  public void run() {
    scheduled = false;
    if (owner.get() == null || vm.broken() || vm.tickPeriodMillis() == 0) return;
    try {
      vm.onTick();
    } catch (PluginFailure e) {
      failed.accept(e);
      return;
    }
    poke();
  }
}
