package io.sluice.server;

import io.sluice.store.LeaderElection;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.store.etcd.EtcdLeaderElection;
import java.time.Duration;

/**
 * The fleet's leader elections for a node on etcd. {@link #start}: every node is a candidate under
 * its node id, and the status names the leader. {@link #startCanaryController}: the nodes whose role
 * takes writes (all, control-plane) are candidates to run the config canary controller, which writes
 * the canary's keys: a data-plane node's etcd user may not (README "Run a fleet"), and must not, since
 * whoever writes the canary decides what the selected nodes serve. Work that must run once per fleet
 * starts in {@link LeaderElection.Listener#elected} and stops in {@link LeaderElection.Listener#lost}.
 */
final class FleetElection {
  /** The election's name under the store's prefix ({@code PREFIX/elections/fleet}). */
  static final String NAME = "fleet";
  /** The canary controller's election ({@code PREFIX/elections/canary-controller}). */
  static final String CANARY_CONTROLLER = "canary-controller";
  /** How long a leader cut off from etcd stays the leader in etcd's eyes; it stops leading after half of it. */
  static final Duration TTL = Duration.ofSeconds(10);

  private FleetElection() {}

  /**
   * Campaigns as {@code node} on {@code etcd}, in the background (etcd may not answer yet), running
   * {@code work} while it leads; the caller closes it.
   */
  static LeaderElection start(EtcdConnection etcd, String node) {
    return start(etcd, node, new LeaderElection.Listener() {
      @Override
      public void elected() {
        // The fleet's leader runs nothing of its own; the election logs the change.
      }

      @Override
      public void lost(String why) {
        // Likewise.
      }
    });
  }

  static LeaderElection start(EtcdConnection etcd, String node, LeaderElection.Listener work) {
    LeaderElection e = EtcdLeaderElection.open(etcd, NAME, node, TTL, work);
    e.start();
    return e;
  }

  /** Campaigns as {@code node} to run the canary {@code controller}; only for a node whose role takes writes. */
  static LeaderElection startCanaryController(EtcdConnection etcd, String node, LeaderElection.Listener controller) {
    LeaderElection e = EtcdLeaderElection.open(etcd, CANARY_CONTROLLER, node, TTL, controller);
    e.start();
    return e;
  }
}
