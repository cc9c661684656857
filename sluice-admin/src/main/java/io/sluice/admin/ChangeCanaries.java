package io.sluice.admin;

import io.sluice.store.Canaries;
import io.sluice.store.Canary;
import io.sluice.store.CanaryOutcome;
import io.sluice.store.ConfigStore;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import io.sluice.store.changes.ChangeRequest;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's canary record, settling the change request a canary was published for when the canary
 * ends (README "Review changes"): promoted, the change is {@code published} as the promoted revision
 * (and {@code change.published} is told); aborted, by hand, by the controller or by a forced write, it
 * is {@code approved} again with the abort's reason kept, so that it can be fixed, rebased and
 * published again. Every way a canary ends goes through {@link #finish}, and only the node whose call
 * ended it settles the change, so it is settled once. Thread-safe as the wrapped record is; may block
 * on the store.
 */
public final class ChangeCanaries implements Canaries {
  private static final Logger log = LoggerFactory.getLogger(ChangeCanaries.class);
  /** Compare-and-set attempts against reviewers writing the same change request at once. */
  private static final int ATTEMPTS = 5;

  private final Canaries canaries;
  private final ConfigStore store;
  private final AdminEvents events;

  public ChangeCanaries(Canaries canaries, ConfigStore store, AdminEvents events) {
    this.canaries = Objects.requireNonNull(canaries, "canaries");
    this.store = Objects.requireNonNull(store, "store");
    this.events = Objects.requireNonNull(events, "events");
  }

  @Override
  public @Nullable Canary active() {
    return canaries.active();
  }

  @Override
  public void start(Canary canary) throws StoreConflictException {
    canaries.start(canary);
  }

  @Override
  public boolean finish(CanaryOutcome outcome) {
    boolean finished = canaries.finish(outcome);
    if (finished) {
      try {
        settle(store, events, outcome);
      } catch (StoreException e) {
        // The canary has ended either way; the change request says canary until an operator looks (README).
        log.warn("canary {} ended ({}) but its change request could not be updated: {}", outcome.id(), outcome.state(),
            e.getMessage());
      }
    }
    return finished;
  }

  /**
   * Settles the change request in canary {@code o.id()}, if one is, as {@code o} ended it; a change request another caller
   * settled first is left as it is.
   *
   * @throws StoreException when the store cannot be read or written
   */
  public static void settle(ConfigStore store, AdminEvents events, CanaryOutcome o) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      ChangeRequest c = inCanary(store, o.id());
      if (c == null) return;
      boolean promoted = o.state().equals(CanaryOutcome.PROMOTED);
      ChangeRequest next = promoted ? c.published(o.revision(), o.by())
          : c.canaryAborted("canary " + o.id() + " aborted by " + o.by() + ": " + o.reason());
      try {
        ChangeRequest stored = store.changeRequests().update(next);
        if (promoted) ChangeEvents.emit(events, "change.published", stored, o.by(), "");
        return;
      } catch (StoreConflictException e) {
        // Another node or request settled it at the same time, or a reviewer's refused request wrote it: read again.
      }
    }
    log.warn("canary {} ended ({}) but its change request kept changing under the update; it still says canary", o.id(), o.state());
  }

  private static @Nullable ChangeRequest inCanary(ConfigStore store, String canaryId) {
    for (ChangeRequest c : store.changeRequests().list()) {
      if (c.state() == ChangeRequest.State.CANARY && c.canary().equals(canaryId)) return c;
    }
    return null;
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
