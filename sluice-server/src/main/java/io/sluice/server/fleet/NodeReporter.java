package io.sluice.server.fleet;

import io.sluice.admin.NodeStatus;
import io.sluice.store.Membership;
import io.sluice.store.NodeRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Keeps this node's registration in the fleet current: publishes its {@link NodeRecord} at start and
 * then whenever its applied revision or last apply error changes (checked every {@link #EVERY}; the
 * membership writes only what changed). Closing it closes the membership, so the node leaves the
 * list at once.
 *
 * <p>Threading: one daemon thread of its own at the lowest priority; {@link #close()} from any thread.
 */
public final class NodeReporter implements AutoCloseable {
  /** How often the applied revision and the last error are read. */
  static final Duration EVERY = Duration.ofMillis(250);

  /** What the record is made of, apart from what changes while the node runs. */
  public record Identity(String id, String address, Role role, String version, Map<String, String> labels, Instant startedAt) {
    public Identity {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(version, "version");
      labels = Map.copyOf(labels);
      Objects.requireNonNull(startedAt, "startedAt");
    }
  }

  private final Membership membership;
  private final Identity identity;
  private final LongSupplier appliedRevision;
  private final Supplier<NodeStatus.@Nullable ApplyError> lastFailure;
  private final Supplier<@Nullable String> canary;
  private final @Nullable TrafficWindow traffic;
  /** The traffic summary last sampled; reporter thread only. */
  private volatile NodeRecord.@Nullable Traffic lastTraffic;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "sluice-node-reporter");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    return t;
  });

  /**
   * Publishes the first record now and starts following.
   *
   * @param appliedRevision the revision the data plane serves
   * @param lastFailure the last revision that failed to apply, or null
   */
  public NodeReporter(Membership membership, Identity identity, LongSupplier appliedRevision,
      Supplier<NodeStatus.@Nullable ApplyError> lastFailure) {
    this(membership, identity, appliedRevision, lastFailure, () -> null, null);
  }

  /**
   * As the other constructor, for a node of a fleet that takes part in config canaries.
   *
   * @param canary the id of the canary the data plane serves, or null
   * @param traffic sampled every second (on this reporter's thread) for the record's traffic summary; null: none
   */
  public NodeReporter(Membership membership, Identity identity, LongSupplier appliedRevision,
      Supplier<NodeStatus.@Nullable ApplyError> lastFailure, Supplier<@Nullable String> canary, @Nullable TrafficWindow traffic) {
    this.membership = Objects.requireNonNull(membership, "membership");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.appliedRevision = Objects.requireNonNull(appliedRevision, "appliedRevision");
    this.lastFailure = Objects.requireNonNull(lastFailure, "lastFailure");
    this.canary = Objects.requireNonNull(canary, "canary");
    this.traffic = traffic;
    membership.publish(record());
    long every = EVERY.toMillis();
    thread.scheduleWithFixedDelay(() -> membership.publish(record()), every, every, TimeUnit.MILLISECONDS);
    if (traffic != null) {
      // Once a second: the summary changes with every request, and each change is a write to the store.
      thread.scheduleWithFixedDelay(() -> {
        try {
          traffic.sample();
          lastTraffic = traffic.summary();
        } catch (RuntimeException e) {
          lastTraffic = null;
        }
      }, 0, TRAFFIC_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** How often the traffic summary is sampled and published. */
  static final Duration TRAFFIC_EVERY = Duration.ofSeconds(1);

  private NodeRecord record() {
    NodeStatus.ApplyError e = lastFailure.get();
    return new NodeRecord(identity.id(), identity.address(), identity.role().flag(), identity.version(), identity.labels(),
        appliedRevision.getAsLong(), e == null ? null : new NodeRecord.ApplyError(e.revision(), e.message(), e.time()),
        identity.startedAt(), canary.get(), lastTraffic);
  }

  /** Stops publishing and leaves the fleet. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    membership.close();
  }
}
