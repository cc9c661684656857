package io.sluice.store;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Who of a fleet runs what must run once (the canary controller, for one): every node is a candidate,
 * at most one is the leader at any time, and a leader that can no longer prove it is one (its lease
 * could have expired) stops being one before another can be elected.
 *
 * <p>The {@link Listener} is told of each change: {@link Listener#elected()} when this candidate
 * becomes the leader, {@link Listener#lost(String)} when it stops being one (it resigned on
 * {@link #close()}, or lost its lease). Work that must run once starts in {@code elected} and stops in
 * {@code lost}; the calls alternate, starting with {@code elected}, on one thread of the election's.
 * A listener must not block for long: while it runs the election cannot notice a lost lease.
 *
 * <p>Implementations: {@code EtcdLeaderElection} (etcd's election API under a lease) for a fleet on
 * etcd, {@link #alone} for a node on the embedded store, which is a fleet of one.
 */
public interface LeaderElection extends AutoCloseable {
  /** What the election tells its candidate. */
  interface Listener {
    /** This candidate is the leader from now on, until {@link #lost}. */
    void elected();

    /** This candidate is no longer the leader; {@code why} says so for logs and status. */
    void lost(String why);
  }

  /** Starts campaigning. */
  void start();

  /** Whether this candidate is the leader now (as of its lease's last renewal). */
  boolean isLeader();

  /** This candidate's id, as other candidates see it when it leads. */
  String candidate();

  /**
   * The id of the current leader as the election knows it, or null when there is none or it cannot
   * be asked now (the store unreachable). May block briefly on the store.
   */
  @Nullable String leader();

  /** Stops campaigning; a leader resigns first ({@link Listener#lost} is called). Idempotent. */
  @Override
  void close();

  /** The election of a fleet of one: the candidate leads from {@link #start()} until {@link #close()}. */
  static LeaderElection alone(String candidate, Listener listener) {
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(listener, "listener");
    return new LeaderElection() {
      private boolean leading;
      private boolean closed;

      @Override
      public synchronized void start() {
        if (closed || leading) return;
        leading = true;
        listener.elected();
      }

      @Override
      public synchronized boolean isLeader() {
        return leading;
      }

      @Override
      public String candidate() {
        return candidate;
      }

      @Override
      public @Nullable String leader() {
        return isLeader() ? candidate : null;
      }

      @Override
      public synchronized void close() {
        closed = true;
        if (!leading) return;
        leading = false;
        listener.lost("resigned: the node is stopping");
      }
    };
  }
}
