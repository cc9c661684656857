package io.sluice.wasm.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VMs of one configured plugin, one per event loop. VMs are started off the loops: {@link
 * #prepare} starts some before the configuration is applied, and each one a loop claims (on its
 * first request) is replaced in the background, so a loop seldom waits for one. A loop whose VM
 * broke gets a new one the same way; until it is ready, {@link #forCurrentThread} returns null
 * and the request meets the plugin's failure policy.
 *
 * <p>Threading: a loop reads and writes its own slot (a {@link ThreadLocal}); the spare queue is
 * lock-free and filled from the blocking executor.
 */
public final class VmSlots {
  private static final Logger LOG = LoggerFactory.getLogger(VmSlots.class);

  private final PluginSettings settings;
  private final Executor background;
  private final ConcurrentLinkedQueue<PluginVm> spares = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<@Nullable Slot> slots = new ThreadLocal<>();
  private final AtomicBoolean refilling = new AtomicBoolean();

  private static final class Slot {
    @Nullable PluginVm vm;
  }

  private VmSlots(PluginSettings settings, Executor background) {
    this.settings = settings;
    this.background = background;
  }

  /**
   * Starts {@code count} VMs on the calling thread (off the loops).
   *
   * @throws PluginFailure if the plugin cannot start
   */
  public static VmSlots prepare(PluginSettings settings, int count, Executor background) {
    VmSlots s = new VmSlots(settings, background);
    for (int i = 0; i < count; i++) s.addSpare(PluginVm.start(settings));
    return s;
  }

  private void addSpare(PluginVm vm) {
    spares.add(vm);
  }

  /**
   * The current loop's VM, or null while a replacement for a broken one is being started. A VM
   * claimed now is bound to {@code loop} (its timer runs there) for as long as {@code owner}, held
   * weakly, is in use; a failed tick goes to {@code tickFailed}.
   */
  public @Nullable PluginVm forCurrentThread(Executor loop, Object owner, Consumer<PluginFailure> tickFailed) {
    Slot slot = slots.get();
    if (slot == null) {
      slot = new Slot();
      slots.set(slot);
    }
    PluginVm vm = slot.vm;
    if (vm != null && !vm.broken()) return vm;
    slot.vm = null;
    PluginVm spare = spares.poll();
    refill();
    slot.vm = spare;
    // The gateway's event loops are scheduled executors; elsewhere (a test harness) a plugin gets no ticks.
    if (spare != null && loop instanceof ScheduledExecutorService scheduler) spare.attach(new Ticker(spare, scheduler, owner, tickFailed));
    return spare;
  }

  /** Starts one spare VM in the background unless one is being started. */
  private void refill() {
    if (!refilling.compareAndSet(false, true)) return;
    background.execute(() -> {
      try {
        addSpare(PluginVm.start(settings));
      } catch (RuntimeException e) {
        LOG.warn("{}: cannot start a wasm VM: {}", settings.place(), e.getMessage());
      } finally {
        refilling.set(false);
      }
    });
  }
}
