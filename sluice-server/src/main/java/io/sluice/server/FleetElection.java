package io.sluice.server;

import io.sluice.store.LeaderElection;
import io.sluice.store.etcd.EtcdConnection;
import io.sluice.store.etcd.EtcdLeaderElection;
import java.time.Duration;

/**
 * The fleet's one leader election, for a node on etcd: what must run once per fleet runs on its
 * leader (today the config canary's controller). Only the nodes whose role takes writes (all,
 * control-plane) are candidates: the leader's work writes the canary's keys, which a data-plane
 * node's etcd user may not write (README "Run a fleet"), and must not, since whoever writes the
 * canary decides what the selected nodes serve. Data-plane nodes do not campaign, so they hold no
 * election lease or key. Work starts in {@link LeaderElection.Listener#elected} and stops in
 * {@link LeaderElection.Listener#lost}.
 */
final class FleetElection {
  /**
   * The election's name under the store's prefix ({@code PREFIX/elections/canary-controller}): the
   * name of the work it was made for, kept so that nodes of the previous version and of this one
   * elect one leader between them during an upgrade.
   */
  static final String NAME = "canary-controller";
  /** How long a leader cut off from etcd stays the leader in etcd's eyes; it stops leading after half of it. */
  static final Duration TTL = Duration.ofSeconds(10);

  private FleetElection() {}

  /**
   * Campaigns as {@code node} on {@code etcd}, in the background (etcd may not answer yet), running
   * {@code work} while it leads; only for a node whose role takes writes. The caller closes it.
   */
  static LeaderElection start(EtcdConnection etcd, String node, LeaderElection.Listener work) {
    LeaderElection e = EtcdLeaderElection.open(etcd, NAME, node, TTL, work);
    e.start();
    return e;
  }
}
