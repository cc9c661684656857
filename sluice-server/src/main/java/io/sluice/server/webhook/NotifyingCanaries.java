package io.sluice.server.webhook;

import io.sluice.admin.AdminEvents;
import io.sluice.store.Canaries;
import io.sluice.store.Canary;
import io.sluice.store.CanaryOutcome;
import io.sluice.store.StoreConflictException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The fleet's canary record, telling {@code events} when this node starts a canary
 * ({@code canary.started}) or ends one ({@code canary.promoted}, {@code canary.aborted}): every way a
 * canary starts or ends (an operator's request, the controller's automatic abort, a forced write)
 * goes through {@link #start} and {@link #finish}, and only the node whose call succeeded tells. A
 * canary published from a change request names it ({@code change}) in all three.
 * Thread-safe as the wrapped one is.
 */
public final class NotifyingCanaries implements Canaries {
  private final Canaries canaries;
  private final AdminEvents events;

  public NotifyingCanaries(Canaries canaries, AdminEvents events) {
    this.canaries = canaries;
    this.events = events;
  }

  @Override
  public @Nullable Canary active() {
    return canaries.active();
  }

  @Override
  public void start(Canary canary) throws StoreConflictException {
    canaries.start(canary);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("canary", canary.id());
    data.put("selector", canary.selector());
    data.put("nodes", canary.nodes());
    data.put("baseRevision", canary.baseRevision());
    data.put("by", canary.author());
    if (!canary.message().isEmpty()) data.put("message", canary.message());
    if (canary.change() > 0) data.put("change", canary.change());
    events.emit("canary.started", data);
  }

  @Override
  public boolean finish(CanaryOutcome outcome) {
    // Read before it ends: the outcome does not name the change request the canary was published for.
    Canary ending = canaries.active();
    long change = ending != null && ending.id().equals(outcome.id()) ? ending.change() : 0;
    boolean finished = canaries.finish(outcome);
    if (finished) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("canary", outcome.id());
      data.put("selector", outcome.selector());
      data.put("nodes", outcome.nodes());
      data.put("revision", outcome.revision());
      data.put("by", outcome.by());
      data.put("message", outcome.reason());
      if (change > 0) data.put("change", change);
      events.emit(outcome.state().equals("promoted") ? "canary.promoted" : "canary.aborted", data);
    }
    return finished;
  }

  @Override
  public List<CanaryOutcome> finished(int limit) {
    return canaries.finished(limit);
  }

  @Override
  public void close() {
    canaries.close();
  }
}
