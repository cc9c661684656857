package io.sluice.server;

import io.sluice.store.LeaderElection;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.store.etcd.EtcdLeaderElection;
import java.time.Duration;

/**
 * The fleet's leader election for a node on etcd: every node is a candidate under its node id, and
 * the status names the leader. Nothing runs on the leader yet; work that must run once per fleet
 * (the canary controller) starts in {@link LeaderElection.Listener#elected} and stops in
 * {@link LeaderElection.Listener#lost}.
 */
final class FleetElection {
  /** The election's name under the store's prefix ({@code PREFIX/elections/fleet}). */
  static final String NAME = "fleet";
  /** How long a leader cut off from etcd stays the leader in etcd's eyes; it stops leading after half of it. */
  static final Duration TTL = Duration.ofSeconds(10);

  private FleetElection() {}

  /** Campaigns as {@code node} on {@code etcd}, in the background (etcd may not answer yet); the caller closes it. */
  static LeaderElection start(EtcdConnection etcd, String node) {
    LeaderElection e = EtcdLeaderElection.open(etcd, NAME, node, TTL, new LeaderElection.Listener() {
      @Override
      public void elected() {
        // Nothing runs once per fleet yet; the election logs the change.
      }

      @Override
      public void lost(String why) {
        // Likewise.
      }
    });
    e.start();
    return e;
  }
}
