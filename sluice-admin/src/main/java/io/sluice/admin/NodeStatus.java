package io.sluice.admin;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@code GET /api/v1/status} says about the node serving the admin API (the store's revision
 * and the uptime are added by the admin server).
 *
 * @param nodeId the node's identity in a fleet
 * @param version the Sluice version the node runs
 * @param appliedRevision the store revision the data plane has applied (0 before the first)
 * @param startedAt when the node started; the uptime is counted from it
 * @param listeners listener name → the address it is bound to ({@code 127.0.0.1:8080})
 * @param skippedObjects {@code Kind/name} → why the node does not serve that stored object (it does not
 *     validate or compile, or depends on one that does not); empty when it serves everything
 * @param tlsProvider which TLS implementation serves HTTPS listeners ({@code openssl (BoringSSL)},
 *     {@code jdk (...)}); empty when the server does not say
 * @param lastApplyError the last revision the data plane failed to apply and why (a listener whose
 *     port is taken), or null when none failed since the node started; it stays after a later revision
 *     applies, so {@code appliedRevision} tells whether it still holds
 * @param store how the node reaches its store (etcd), whether it serves from its local cache, and the
 *     fleet's leader; null when the node does not say (the embedded store is always there)
 */
public record NodeStatus(String nodeId, String version, long appliedRevision, Instant startedAt, Map<String, String> listeners,
    Map<String, String> skippedObjects, String tlsProvider, @Nullable ApplyError lastApplyError, @Nullable StoreState store) {
  /**
   * A revision the data plane could not apply; the revision before it kept serving.
   *
   * @param revision the store revision that failed (with the changes coalesced into it)
   * @param message why, naming the object ({@code Listener/web: cannot bind 127.0.0.1:8080: Address already in use})
   * @param time when it failed
   */
  public record ApplyError(long revision, String message, Instant time) {
    public ApplyError {
      if (revision < 1) throw new IllegalArgumentException("revision must be >= 1, got " + revision);
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(time, "time");
    }
  }

  /**
   * How the node reaches a shared store.
   *
   * @param reachable whether the store answered the node's last request
   * @param unreachableReason why it did not, or null when it did
   * @param unreachableSince since when it has not answered, or null when it does
   * @param cache the local cache the node serves, or null when it serves what the store gave it
   * @param leader the node id the fleet's leader election last named, or null when not known
   */
  public record StoreState(boolean reachable, @Nullable String unreachableReason, @Nullable Instant unreachableSince,
      @Nullable CacheUse cache, @Nullable String leader) {}

  /**
   * The node serves the configuration it wrote to its data directory, not one the store gave it in this run.
   *
   * @param revision the store revision the cache holds
   * @param writtenAt when the cache was written (by an earlier run)
   * @param since when this node started serving it
   */
  public record CacheUse(long revision, Instant writtenAt, Instant since) {
    public CacheUse {
      Objects.requireNonNull(writtenAt, "writtenAt");
      Objects.requireNonNull(since, "since");
    }
  }

  /** A node that does not say how it reaches its store. */
  public NodeStatus(String nodeId, String version, long appliedRevision, Instant startedAt, Map<String, String> listeners,
      Map<String, String> skippedObjects, String tlsProvider, @Nullable ApplyError lastApplyError) {
    this(nodeId, version, appliedRevision, startedAt, listeners, skippedObjects, tlsProvider, lastApplyError, null);
  }

  /** A node that has not failed to apply a revision. */
  public NodeStatus(String nodeId, String version, long appliedRevision, Instant startedAt, Map<String, String> listeners,
      Map<String, String> skippedObjects, String tlsProvider) {
    this(nodeId, version, appliedRevision, startedAt, listeners, skippedObjects, tlsProvider, null);
  }

  public NodeStatus {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(startedAt, "startedAt");
    listeners = Map.copyOf(listeners);
    skippedObjects = Map.copyOf(skippedObjects);
    Objects.requireNonNull(tlsProvider, "tlsProvider");
    if (appliedRevision < 0) throw new IllegalArgumentException("appliedRevision must be >= 0, got " + appliedRevision);
  }

  /** A node that does not say which TLS provider it has. */
  public NodeStatus(String nodeId, String version, long appliedRevision, Instant startedAt, Map<String, String> listeners,
      Map<String, String> skippedObjects) {
    this(nodeId, version, appliedRevision, startedAt, listeners, skippedObjects, "");
  }

  /** A node that serves every stored object. */
  public NodeStatus(String nodeId, String version, long appliedRevision, Instant startedAt, Map<String, String> listeners) {
    this(nodeId, version, appliedRevision, startedAt, listeners, Map.of());
  }
}
