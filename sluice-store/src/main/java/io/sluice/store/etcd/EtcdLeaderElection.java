package io.sluice.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.sluice.store.LeaderElection;
import io.sluice.store.StoreException;
import io.sluice.store.etcd.internal.Calls;
import io.sluice.store.etcd.internal.Keys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LeaderElection} over etcd's election API: each candidate campaigns with a key under a lease
 * of {@code ttl} that it keeps alive; etcd makes the candidate with the oldest key the leader, and a
 * candidate's key goes when it resigns or its lease expires.
 *
 * <p><b>Never two leaders.</b> etcd deletes a silent leader's key only when its lease expires, at the
 * earliest {@code ttl} after etcd last renewed it. The leader counts its lease as good only for
 * {@code ttl / 2} after the last renewal it heard of (a keep-alive answer), so when it is cut off from
 * etcd it reports {@link LeaderElection.Listener#lost} about half a TTL before another candidate can be
 * elected. Renewals answered later than half a TTL would void that margin; on a network where that
 * happens, choose a longer TTL. After a loss the candidate campaigns again with a new lease.
 *
 * <p>Threading: one daemon thread per election runs the campaign, watches the lease and calls the
 * listener; {@link #close()} may be called from any thread and waits for a leader's resignation.
 */
public final class EtcdLeaderElection implements LeaderElection {
  private static final Logger log = LoggerFactory.getLogger(EtcdLeaderElection.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Duration MIN_TTL = Duration.ofSeconds(2);
  private static final Duration LEADER_REFRESH = Duration.ofSeconds(1);
  private static final Duration FIRST_RETRY = Duration.ofMillis(200);
  /** The longest a closing leader waits for etcd to take its resignation; its lease's revocation or expiry frees the key anyway. */
  private static final Duration RESIGN_WAIT = Duration.ofSeconds(2);

  private final EtcdConnection connection;
  private final Client client;
  private final ByteSequence electionKey;
  private final String name;
  private final String candidate;
  private final Duration ttl;
  private final Listener listener;
  private final Object lock = new Object();
  private boolean closed;
  private @Nullable Thread thread;
  private volatile boolean leading;
  /** {@link System#nanoTime()} of the last renewal heard of for the current lease. */
  private volatile long renewedAt;
  private volatile @Nullable String keepAliveError;
  private volatile @Nullable String knownLeader;
  /** {@link System#nanoTime()} of the last question {@link #refreshLeader()} asked; the election's thread only. */
  private long leaderAskedAt = System.nanoTime() - LEADER_REFRESH.toNanos();

  private EtcdLeaderElection(EtcdConnection connection, Client client, String name, String candidate, Duration ttl, Listener listener) {
    this.connection = connection;
    this.client = client;
    this.name = name;
    this.electionKey = new Keys(connection.prefix()).election(name);
    this.candidate = candidate;
    this.ttl = ttl;
    this.listener = listener;
  }

  /**
   * An election named {@code name} among the candidates that open it on the same etcd prefix; call
   * {@link #start()} to campaign. It has its own etcd connection, closed with it.
   *
   * @param name the election ({@code canary-controller}): letters, digits, '.', '_' and '-'
   * @param candidate this candidate's id (the node id), what {@link #leader()} shows others
   * @param ttl the lease: how long a leader cut off from etcd may stay the leader in etcd's eyes; at
   *     least 2s, whole seconds (etcd's leases count seconds)
   * @throws IllegalArgumentException naming the argument and what was expected
   */
  public static EtcdLeaderElection open(EtcdConnection connection, String name, String candidate, Duration ttl, Listener listener) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(listener, "listener");
    if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("name '" + name + "': expected letters, digits, '.', '_' and '-'");
    if (candidate.isBlank()) throw new IllegalArgumentException("candidate: expected a node id, got a blank string");
    if (ttl.compareTo(MIN_TTL) < 0 || ttl.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("ttl: expected whole seconds, at least " + MIN_TTL.toSeconds() + "s, got " + ttl);
    }
    return new EtcdLeaderElection(connection, EtcdConfigStore.client(connection), name, candidate, ttl, listener);
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (thread != null || closed) return;
      thread = Thread.ofPlatform().daemon().name("sluice-election-" + name).start(this::run);
    }
  }

  @Override
  public boolean isLeader() {
    return leading;
  }

  @Override
  public String candidate() {
    return candidate;
  }

  /**
   * The leader as last asked of etcd: the election's thread asks about once a second without waiting
   * for the answer, so this never blocks; null when there is none or etcd did not answer the last time.
   */
  @Override
  public @Nullable String leader() {
    return leading ? candidate : knownLeader;
  }

  /** Asks etcd who leads, at most every {@link #LEADER_REFRESH}; the answer arrives on jetcd's thread. */
  private void refreshLeader() {
    long now = System.nanoTime();
    if (now - leaderAskedAt < LEADER_REFRESH.toNanos()) return;
    leaderAskedAt = now;
    client.getElectionClient().leader(electionKey)
        .orTimeout(LEADER_REFRESH.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, error) -> knownLeader = error != null || r.getKv() == null ? null
            : r.getKv().getValue().toString(StandardCharsets.UTF_8));
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** Whether the current lease may have expired in etcd by now (see the class comment). */
  private boolean leaseDoubtful() {
    return keepAliveError != null || System.nanoTime() - renewedAt > ttl.toNanos() / 2;
  }

  private Duration checkEvery() {
    return ttl.dividedBy(20);
  }

  private void run() {
    Duration retry = FIRST_RETRY;
    while (!isClosed()) {
      long lease = 0;
      CloseableClient keepAlive = null;
      LeaderKey key = null;
      try {
        keepAliveError = null;
        long asked = System.nanoTime();
        lease = Calls.await(client.getLeaseClient().grant(ttl.toSeconds()), connection.timeout(), "granting a lease", connection).getID();
        renewedAt = asked;
        keepAlive = client.getLeaseClient().keepAlive(lease, new StreamObserver<LeaseKeepAliveResponse>() {
          @Override
          public void onNext(LeaseKeepAliveResponse r) {
            if (r.getTTL() > 0) {
              renewedAt = System.nanoTime();
            } else {
              keepAliveError = "etcd says the lease expired";
            }
          }

          @Override
          public void onError(Throwable t) {
            keepAliveError = "keeping the lease alive failed: " + t;
          }

          @Override
          public void onCompleted() {
            keepAliveError = "etcd ended the lease's keep-alive stream";
          }
        });
        CompletableFuture<CampaignResponse> campaign = client.getElectionClient().campaign(electionKey, lease,
            ByteSequence.from(candidate, StandardCharsets.UTF_8));
        key = awaitCampaign(campaign);
        if (key != null) {
          retry = FIRST_RETRY;
          lead(key);
        }
      } catch (StoreException e) {
        knownLeader = null;
        // The first failure in a row is worth a warning; an etcd that stays away would fill the log.
        if (retry.equals(FIRST_RETRY)) {
          log.warn("election {}: {}; campaigning again, backing off up to {}", name, e.getMessage(), ttl);
        } else {
          log.debug("election {}: {}; campaigning again in {}", name, e.getMessage(), retry);
        }
        pause(retry);
        retry = retry.multipliedBy(2).compareTo(ttl) > 0 ? ttl : retry.multipliedBy(2);
      } finally {
        if (keepAlive != null) keepAlive.close();
        if (lease != 0) client.getLeaseClient().revoke(lease); // best effort: frees the key at once if etcd hears it
      }
    }
  }

  /** The campaign's leader key once this candidate is elected with a lease still good, or null (lease doubtful, closed). */
  private @Nullable LeaderKey awaitCampaign(CompletableFuture<CampaignResponse> campaign) {
    while (true) {
      try {
        CampaignResponse r = campaign.get(checkEvery().toMillis(), TimeUnit.MILLISECONDS);
        return leaseDoubtful() || isClosed() ? null : r.getLeader();
      } catch (TimeoutException notYet) {
        refreshLeader();
        if (isClosed() || leaseDoubtful()) {
          campaign.cancel(true);
          if (leaseDoubtful()) log.info("election {}: the lease lapsed while campaigning; campaigning again", name);
          return null;
        }
      } catch (ExecutionException e) {
        throw new StoreException("campaigning in the election " + name + " at " + connection.url() + " failed: " + e.getCause(), e);
      } catch (InterruptedException e) {
        campaign.cancel(true);
        return null;
      }
    }
  }

  /** Leads until the lease is doubtful or the election is closed; tells the listener both ways. */
  private void lead(LeaderKey key) {
    leading = true;
    log.info("election {}: {} is the leader", name, candidate);
    listener.elected();
    String why = null;
    while (why == null) {
      synchronized (lock) {
        if (closed) {
          why = "resigned: the election was closed";
          break;
        }
        try {
          lock.wait(checkEvery().toMillis());
        } catch (InterruptedException e) {
          why = "resigned: interrupted";
          break;
        }
      }
      refreshLeader();
      if (leaseDoubtful()) {
        String error = keepAliveError;
        why = "lost the lease: " + (error != null ? error : "no keep-alive answer from etcd for " + ttl.dividedBy(2).toMillis() + "ms");
      }
    }
    // Stop the work first: whatever etcd does next, this candidate must not act as the leader any more.
    leading = false;
    log.info("election {}: {} is no longer the leader: {}", name, candidate, why);
    listener.lost(why);
    if (why.startsWith("resigned")) {
      try {
        client.getElectionClient().resign(key).get(RESIGN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        log.debug("election {}: resigning failed ({}); the lease's revocation or expiry frees the key", name, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void pause(Duration d) {
    synchronized (lock) {
      if (closed) return;
      try {
        lock.wait(d.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    Thread t;
    synchronized (lock) {
      if (closed) return;
      closed = true;
      t = thread;
      lock.notifyAll();
    }
    if (t != null) {
      // A leader resigns within RESIGN_WAIT; a candidate waiting on etcd (down) is not waited for:
      // closing the client below ends its call.
      try {
        t.join(RESIGN_WAIT.plusSeconds(1).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    client.close();
  }

  @Override
  public String toString() {
    return "EtcdLeaderElection[" + name + " at " + connection.url() + ", candidate " + candidate + "]";
  }
}
