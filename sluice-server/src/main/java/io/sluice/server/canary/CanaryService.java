package io.sluice.server.canary;

import io.sluice.admin.CanaryControl;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.store.Applied;
import io.sluice.store.Canaries;
import io.sluice.store.Canary;
import io.sluice.store.CanaryOutcome;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.Membership;
import io.sluice.store.ObjectChange;
import io.sluice.store.StoreConflictException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The fleet's config canary for the admin API ({@link CanaryControl}): starts a canary (checked as
 * an apply would be, its nodes resolved from the membership), promotes it (one store revision, with
 * the canary named in its message), aborts it; the canary itself is kept by {@link Canaries}.
 *
 * <p>Thread-safe; every method may block on the store.
 */
public final class CanaryService implements CanaryControl {
  /** How many ended canaries the status lists. */
  static final int HISTORY = 10;
  private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final ConfigStore store;
  private final Canaries canaries;
  private final Membership membership;
  private final Clock clock;
  private final Function<String, @Nullable Instant> worseSince;
  private final java.util.function.Supplier<@Nullable String> controller;

  /**
   * @param worseSince since when this node's controller has seen the canary worse than the rest (null: not, or
   *     this node does not lead)
   * @param controller the node that runs the canary controller as this node knows it, or null
   */
  public CanaryService(ConfigStore store, Canaries canaries, Membership membership, Clock clock,
      Function<String, @Nullable Instant> worseSince, java.util.function.Supplier<@Nullable String> controller) {
    this.store = Objects.requireNonNull(store, "store");
    this.canaries = Objects.requireNonNull(canaries, "canaries");
    this.membership = Objects.requireNonNull(membership, "membership");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.worseSince = Objects.requireNonNull(worseSince, "worseSince");
    this.controller = Objects.requireNonNull(controller, "controller");
  }

  @Override
  public Canary start(List<ConfigObject<?>> objects, String selector, Canary.AutoAbort autoAbort, String author, String message,
      long change) throws ConfigException, StoreConflictException {
    Canary running = canaries.active();
    if (running != null) throw running(running);
    List<String> nodes = NodeSelection.resolve(selector, membership.nodes());
    ChangeSet.Builder b = ChangeSet.builder().author(author).message(message);
    objects.forEach(b::put);
    // Checked as an apply would be: a canary that could not be promoted is not started.
    Applied checked = store.dryRun(b.build());
    if (checked.changes().stream().allMatch(c -> c.op() == ObjectChange.Op.UNCHANGED)) {
      throw new Refused(Refused.Status.INVALID, "nothing_to_canary", "the objects are as stored at revision " + checked.revision()
          + ": a canary of them would change nothing; nothing was started");
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    String id = "c-" + ID_TIME.format(now) + "-" + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    Canary c = new Canary(id, checked.revision(), objects, selector, nodes, author, message, now, autoAbort, change);
    try {
      canaries.start(c);
    } catch (StoreConflictException e) {
      Canary other = canaries.active();
      if (other != null) throw running(other);
      throw e;
    }
    return c;
  }

  private static Refused running(Canary c) {
    return new Refused(Refused.Status.CONFLICT, "canary_running", "canary " + c.id() + " (" + c.selector() + " on "
        + String.join(", ", c.nodes()) + ", started by " + c.author() + " at " + c.startedAt() + ") is running; only one canary"
        + " runs at a time: promote it (sluice canary promote) or abort it (sluice canary abort) first");
  }

  @Override
  public Status status() {
    Canary c = canaries.active();
    Comparison comparison = c == null ? null : CanaryJudge.judge(c, membership.nodes(), worseSince.apply(c.id())).comparison();
    return new Status(c, comparison, canaries.finished(HISTORY), controller.get());
  }

  @Override
  public CanaryOutcome promote(String id, String by) throws ConfigException, StoreConflictException {
    Canary c = running(id);
    ChangeSet.Builder b = ChangeSet.builder().author(by).message(promotedMessage(c, by)).baseRevision(c.baseRevision());
    c.objects().forEach(b::put);
    Applied a = store.apply(b.build());
    CanaryOutcome o = new CanaryOutcome(c.id(), c.selector(), c.nodes(), c.baseRevision(), CanaryOutcome.PROMOTED, by,
        "promoted by " + by + " as revision " + a.revision(), a.revision(), clock.instant());
    // false: the leader's controller saw the revision first and recorded the promotion itself.
    canaries.finish(o);
    return o;
  }

  /** The message of the revision a promotion writes; the controller recognises a promotion by it. */
  static String promotedMessage(Canary c, String by) {
    return promotedPrefix(c) + " by " + by + (c.message().isBlank() ? "" : ": " + c.message());
  }

  static String promotedPrefix(Canary c) {
    return "canary " + c.id() + " promoted";
  }

  @Override
  public CanaryOutcome abort(String id, String by, String reason) {
    Canary c = running(id);
    CanaryOutcome o = new CanaryOutcome(c.id(), c.selector(), c.nodes(), c.baseRevision(), CanaryOutcome.ABORTED, by, reason,
        c.baseRevision(), clock.instant());
    if (!canaries.finish(o)) throw notRunning(id, canaries.active());
    return o;
  }

  @Override
  public @Nullable CanaryOutcome abortForWrite(String by, String what) {
    Canary c = canaries.active();
    if (c == null) return null;
    CanaryOutcome o = new CanaryOutcome(c.id(), c.selector(), c.nodes(), c.baseRevision(), CanaryOutcome.ABORTED, by,
        "aborted by a forced write (" + what + ") of " + by, c.baseRevision(), clock.instant());
    return canaries.finish(o) ? o : null;
  }

  @Override
  public @Nullable Canary active() {
    return canaries.active();
  }

  private Canary running(String id) {
    Canary c = canaries.active();
    if (c == null || !c.id().equals(id)) throw notRunning(id, c);
    return c;
  }

  private static Refused notRunning(String id, @Nullable Canary running) {
    return new Refused(Refused.Status.NOT_FOUND, "no_canary", "canary " + id + " is not running"
        + (running == null ? "; no canary runs" : "; canary " + running.id() + " runs") + " (sluice canary status)");
  }
}
