package io.sluice.server;

import io.sluice.store.Canaries;
import io.sluice.store.Canary;
import io.sluice.store.StoreException;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a data-plane node serve the fleet's config canary when the canary selects it: reads the
 * running canary every {@link #EVERY} and hands {@link StoreFollower#overlay} the canary's objects
 * when this node is one of its nodes, or nothing when it is not, the canary ended or none runs (the
 * node then serves the store's revision again). While the canary cannot be read (etcd away) the node
 * keeps serving what it serves.
 *
 * <p>Threading: one daemon thread of its own at the lowest priority.
 */
final class CanaryFollower implements AutoCloseable {
  /** How often the canary is read: how long a node takes to join or leave a canary, at most. */
  static final Duration EVERY = Duration.ofMillis(500);
  private static final Logger log = LoggerFactory.getLogger(CanaryFollower.class);

  private final Canaries canaries;
  private final StoreFollower follower;
  private final String node;
  private final Thread thread;
  private volatile boolean closed;

  CanaryFollower(Canaries canaries, StoreFollower follower, String node) {
    this.canaries = Objects.requireNonNull(canaries, "canaries");
    this.follower = Objects.requireNonNull(follower, "follower");
    this.node = Objects.requireNonNull(node, "node");
    this.thread = Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-canary-follower").start(this::run);
  }

  private void run() {
    String lastFailure = null;
    String serving = null;
    while (!closed) {
      try {
        Canary active = canaries.active();
        Canary c = active != null && active.selects(node) ? active : null;
        follower.overlay(c != null ? new StoreSync.Overlay(c.id(), c.objects()) : null);
        String now = c != null ? c.id() : null;
        if (!Objects.equals(now, serving)) {
          if (c != null) {
            log.info("canary {} selects this node: serving it on top of revision {}", now, c.baseRevision());
          } else {
            log.info("canary {} ended or no longer selects this node: serving the store's revision", serving);
          }
          serving = now;
        }
        lastFailure = null;
      } catch (StoreException | IllegalStateException e) {
        String why = String.valueOf(e.getMessage());
        if (!why.equals(lastFailure)) log.warn("cannot read the fleet's canary; serving what this node serves: {}", why);
        lastFailure = why;
      }
      try {
        Thread.sleep(EVERY);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
