package io.sluice.server.canary;

import io.sluice.store.Canaries;
import io.sluice.store.Canary;
import io.sluice.store.CanaryOutcome;
import io.sluice.store.ConfigStore;
import io.sluice.store.LeaderElection;
import io.sluice.store.Membership;
import io.sluice.store.RevisionInfo;
import io.sluice.store.StoreException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the running config canary on the fleet's leader (a {@link LeaderElection.Listener}: it
 * runs from {@code elected} to {@code lost}, so on one node at a time). Every {@link #EVERY} it
 * reads the canary and the nodes' traffic summaries and:
 *
 * <ul>
 *   <li>aborts the canary when {@link CanaryJudge} finds it worse than the rest by a margin, without
 *       a break, for its {@code autoAbort.window} (the reason states the numbers);
 *   <li>ends a canary whose base revision is no longer the store's: recorded as promoted when the
 *       next revision is its promotion (the promoting node stopped before it could say so), else as
 *       aborted, since its nodes now serve a revision it was never checked against.
 * </ul>
 *
 * <p>A new leader starts counting afresh: the window starts again after a change of leader.
 *
 * <p>Threading: one daemon thread of its own at the lowest priority while leading.
 */
public final class CanaryController implements LeaderElection.Listener {
  /** How often the canary is evaluated. */
  public static final Duration EVERY = Duration.ofSeconds(1);
  /** Who an automatic end is recorded as. */
  public static final String AUTHOR = "canary-controller";
  private static final Logger log = LoggerFactory.getLogger(CanaryController.class);

  private final Canaries canaries;
  private final ConfigStore store;
  private final Membership membership;
  private final Clock clock;
  private final Object lock = new Object();
  private @Nullable ScheduledExecutorService thread;
  // The canary being watched and since when it is worse; written by the controller's thread.
  private volatile @Nullable String watched;
  private volatile @Nullable Instant worseSince;
  private @Nullable String lastFailure;

  public CanaryController(Canaries canaries, ConfigStore store, Membership membership, Clock clock) {
    this.canaries = Objects.requireNonNull(canaries, "canaries");
    this.store = Objects.requireNonNull(store, "store");
    this.membership = Objects.requireNonNull(membership, "membership");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void elected() {
    synchronized (lock) {
      if (thread != null) return;
      ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread th = new Thread(r, "sluice-canary-controller");
        th.setDaemon(true);
        th.setPriority(Thread.MIN_PRIORITY);
        return th;
      });
      watched = null;
      worseSince = null;
      t.scheduleWithFixedDelay(this::evaluate, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
      thread = t;
    }
    log.info("leading the fleet: the canary controller runs here");
  }

  @Override
  public void lost(String why) {
    synchronized (lock) {
      ScheduledExecutorService t = thread;
      thread = null;
      if (t != null) t.shutdownNow();
    }
    watched = null;
    worseSince = null;
    log.info("no longer leading the fleet ({}): the canary controller stops here", why);
  }

  /** Since when this controller has seen canary {@code id} worse than the rest, or null. */
  public @Nullable Instant worseSince(String id) {
    return id.equals(watched) ? worseSince : null;
  }

  /** One evaluation; on the controller's thread. */
  void evaluate() {
    try {
      Canary c = canaries.active();
      if (c == null) {
        watched = null;
        worseSince = null;
        lastFailure = null;
        return;
      }
      if (!c.id().equals(watched)) {
        watched = c.id();
        worseSince = null;
      }
      long revision = store.revision();
      if (revision != c.baseRevision()) {
        endMoved(c, revision);
        return;
      }
      if (!c.autoAbort().enabled()) return;
      CanaryJudge.Judgement j = CanaryJudge.judge(c, membership.nodes(), worseSince);
      Instant now = clock.instant();
      if (!j.worse()) {
        worseSince = null;
        return;
      }
      Instant since = worseSince;
      if (since == null) {
        worseSince = now;
        log.warn("canary {} is worse than the rest: {}; aborting it unless that changes within {}", c.id(),
            j.comparison().verdict(), c.autoAbort().window());
        return;
      }
      if (Duration.between(since, now).compareTo(c.autoAbort().window()) < 0) return;
      String reason = "automatic abort: " + j.comparison().verdict() + ", for " + c.autoAbort().window().toMillis() / 1000.0
          + "s (over the nodes' last " + j.comparison().canary().window().toSeconds() + "s)";
      if (canaries.finish(new CanaryOutcome(c.id(), c.selector(), c.nodes(), c.baseRevision(), CanaryOutcome.ABORTED, AUTHOR,
          reason, c.baseRevision(), now))) {
        log.warn("canary {} aborted: {}", c.id(), reason);
      }
      watched = null;
      worseSince = null;
      lastFailure = null;
    } catch (StoreException | IllegalStateException e) {
      // The store away or closing: try again next time; logged once per different failure.
      String why = String.valueOf(e.getMessage());
      if (!why.equals(lastFailure)) log.warn("the canary controller cannot read the canary or the fleet: {}", why);
      lastFailure = why;
    }
  }

  private void endMoved(Canary c, long revision) {
    List<RevisionInfo> next = store.revisions(c.baseRevision(), 1);
    boolean promoted = !next.isEmpty() && next.getFirst().message().startsWith(CanaryService.promotedPrefix(c));
    CanaryOutcome o = promoted
        ? new CanaryOutcome(c.id(), c.selector(), c.nodes(), c.baseRevision(), CanaryOutcome.PROMOTED, next.getFirst().author(),
            "promoted by " + next.getFirst().author() + " as revision " + next.getFirst().revision(), next.getFirst().revision(),
            clock.instant())
        : new CanaryOutcome(c.id(), c.selector(), c.nodes(), c.baseRevision(), CanaryOutcome.ABORTED, AUTHOR,
            "the store moved from revision " + c.baseRevision() + " to " + revision + " while the canary ran (a change that did"
                + " not go through the admin API, such as --config-dir); its nodes serve the store's revision", revision,
            clock.instant());
    if (canaries.finish(o) && !promoted) log.warn("canary {} aborted: {}", c.id(), o.reason());
    watched = null;
    worseSince = null;
  }
}
