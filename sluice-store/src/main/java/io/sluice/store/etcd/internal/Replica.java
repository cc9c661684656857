package io.sluice.store.etcd.internal;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import io.sluice.api.validate.PathPolicy;
import io.sluice.store.StoreException;
import io.sluice.store.WatchEvent;
import io.sluice.store.internal.ChangePlan;
import io.sluice.store.internal.EventLog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's copy of one prefix's configuration in etcd: the current objects (a
 * {@link ChangePlan.Current}) and the recent revisions (an {@link EventLog}, which the store's
 * watches read), kept up to date by ONE etcd watch of the revision records.
 *
 * <p>The revision only ever moves by one: {@link #advance} takes revision R+1 when the copy is at R
 * and ignores anything else, so the copy passes through every revision in order, whichever of the
 * store's own apply and the etcd watch brings a revision first. A revision the watch skipped (a gap)
 * is read from etcd's revision records ({@link #catchUp()}): they are never overwritten or deleted, so
 * etcd's compaction cannot lose them. When the etcd watch fails (it fell behind a compaction, etcd
 * went away), the follower thread catches up from the records and watches again from where that read
 * was made: nothing is lost and no revision is delivered twice, so the store's watches never need a
 * fresh snapshot.
 *
 * <p>Threading: jetcd delivers the etcd watch's responses on its own threads; they are only queued
 * there. One platform thread at the lowest priority (the control plane, see docs/architecture.md)
 * decodes them and advances the copy. Advancing and catching up take the copy's lock (and may read
 * etcd while holding it); {@link #current()} is a volatile read.
 */
public final class Replica implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Replica.class);
  /** Recent revisions kept in memory for live watches; a watch further behind reads etcd. */
  private static final int RECENT_EVENTS = 512;
  /** How many revision records one catch-up read returns at most. */
  private static final int PAGE = 256;
  /** How long the follower waits before trying etcd again after a failure. */
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final Client client;
  private final Keys keys;
  private final Duration timeout;
  private final PathPolicy paths;
  private final Object where;
  private final ReentrantLock lock = new ReentrantLock();
  private final EventLog events;
  private final LinkedBlockingQueue<Signal> inbox = new LinkedBlockingQueue<>();
  private final Thread follower;
  private volatile ChangePlan.Current state;
  private volatile boolean closed;
  /** The etcd watch; only the follower thread replaces it (after {@link #start()}). */
  private volatile Watch.@Nullable Watcher watcher;
  /** The number of the current etcd watch, see {@link Signal}. */
  private volatile long watchId;
  /** The etcd revision the objects were read at; where the first etcd watch starts. */
  private final long loadedAt;

  private Replica(Client client, Keys keys, Duration timeout, PathPolicy paths, Object where, ChangePlan.Current state,
      long loadedAt) {
    this.client = client;
    this.keys = keys;
    this.timeout = timeout;
    this.paths = paths;
    this.where = where;
    this.state = state;
    this.loadedAt = loadedAt;
    this.events = new EventLog(state.revision(), RECENT_EVENTS);
    this.follower = Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-etcd-follower" + keys)
        .unstarted(this::follow);
  }

  /**
   * Reads the current objects of {@code keys}' prefix at one etcd revision; {@link #start()} then
   * follows it from there.
   *
   * @param where names etcd in error messages
   */
  public static Replica load(Client client, Keys keys, Duration timeout, PathPolicy paths, Object where) {
    GetResponse rev = Calls.await(client.getKVClient().get(keys.revision()), timeout, "reading the store's revision", where);
    long etcdRevision = rev.getHeader().getRevision();
    long revision = rev.getKvs().isEmpty() ? 0 : parseRevision(rev.getKvs().getFirst());
    GetResponse objs = Calls.await(client.getKVClient().get(keys.objects(),
        GetOption.builder().isPrefix(true).withRevision(etcdRevision).build()), timeout, "reading the stored objects", where);
    String objectsPrefix = keys.objects().toString(StandardCharsets.UTF_8);
    List<ConfigObject<?>> objects = new ArrayList<>(objs.getKvs().size());
    for (KeyValue kv : objs.getKvs()) objects.add(Records.current(kv, Records.refOf(kv, objectsPrefix)));
    return new Replica(client, keys, timeout, paths, where, ChangePlan.Current.of(revision, objects, paths), etcdRevision);
  }

  /** Starts following etcd: the etcd watch and the follower thread. Once only. */
  public void start() {
    watchFrom(loadedAt + 1);
    follower.start();
  }

  /** The objects as this process knows them now. */
  public ChangePlan.Current current() {
    return state;
  }

  /** The recent revisions, which the store's watches read and wait on. */
  public EventLog events() {
    return events;
  }

  /**
   * Takes {@code event} as the next revision when the copy is at the revision before it, with
   * {@code after} as the objects it leads to (null: derive them from the event); ignores it otherwise
   * (the copy has it already, or is behind it and will catch up).
   */
  public void advance(WatchEvent event, ChangePlan.@Nullable Current after) {
    lock.lock();
    try {
      ChangePlan.Current s = state;
      if (event.revision() != s.revision() + 1) return;
      state = after != null ? after : derive(s, event);
      events.append(event);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reads and takes every revision etcd holds after the copy's.
   *
   * @return the etcd revision of the last read: every revision written up to it is in the copy now
   * @throws StoreException when etcd cannot be read
   */
  public long catchUp() {
    lock.lock();
    try {
      while (true) {
        long from = state.revision() + 1;
        GetResponse r = Calls.await(client.getKVClient().get(keys.revisionRecord(from), GetOption.builder()
            .withRange(Keys.rangeEnd(keys.revisions())).withLimit(PAGE).build()), timeout, "reading revisions from " + from, where);
        for (KeyValue kv : r.getKvs()) advance(Records.event(kv), null);
        if (state.revision() < from && !r.getKvs().isEmpty()) {
          // Records are never deleted: one missing is damage, and reading again would only loop.
          throw new StoreException("the etcd key " + keys.revisionRecord(from).toString(StandardCharsets.UTF_8)
              + " is missing, yet later revisions are there: the store's records were changed by hand");
        }
        if (!r.isMore()) return r.getHeader().getRevision();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Sluice's revision as etcd holds it now (a linearizable read). */
  public long storedRevision() {
    GetResponse rev = Calls.await(client.getKVClient().get(keys.revision()), timeout, "reading the store's revision", where);
    return rev.getKvs().isEmpty() ? 0 : parseRevision(rev.getKvs().getFirst());
  }

  /** Stops following: the etcd watch and the follower thread end. Idempotent. */
  @Override
  public void close() {
    closed = true;
    Watch.Watcher w = watcher;
    if (w != null) w.close();
    follower.interrupt();
    if (Thread.currentThread() != follower && follower.isAlive()) {
      try {
        follower.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void watchFrom(long etcdRevision) {
    long id = ++watchId;
    WatchOption option = WatchOption.builder().isPrefix(true).withRevision(etcdRevision).build();
    watcher = client.getWatchClient().watch(keys.revisions(), option, Watch.listener(
        r -> inbox.add(new Signal(id, r, null)),
        e -> inbox.add(new Signal(id, null, e)),
        () -> inbox.add(new Signal(id, null, null))));
  }

  /**
   * What the etcd watch number {@code watch} reported: a response, an error, or (both null) its end.
   * Signals of an earlier watch are ignored: closing a watch makes jetcd report its end too.
   */
  private record Signal(long watch, @Nullable WatchResponse response, @Nullable Throwable error) {}

  private void follow() {
    boolean failing = false;
    while (!closed) {
      try {
        Signal next = inbox.poll(1, TimeUnit.MINUTES);
        if (next == null || closed || next.watch() != watchId) continue;
        WatchResponse response = next.response();
        if (response != null) {
          long revision = state.revision();
          for (io.etcd.jetcd.watch.WatchEvent e : response.getEvents()) {
            KeyValue kv = e.getKeyValue();
            // Our own applies are usually taken already: skip them without decoding.
            long r = Keys.revisionOf(kv.getKey());
            if (r <= revision) continue;
            if (r == revision + 1) {
              advance(Records.event(kv), null);
            } else {
              catchUp();
            }
            revision = state.revision();
          }
          continue;
        }
        // The etcd watch is over: read what it missed from the records, then watch again from there.
        Watch.Watcher old = watcher;
        if (old != null) old.close();
        if (next.error() instanceof CompactedException c) {
          log.info("etcd {} compacted past this node's watch (compact revision {}); reading the revisions after {} from the"
              + " store's records", where, c.getCompactedRevision(), state.revision());
        } else if (!failing) {
          Throwable error = next.error();
          log.warn("the watch of etcd {} ended ({}); reading the revisions after {} from the store's records", where,
              error != null ? error.toString() : "closed by etcd", state.revision());
        }
        long at = catchUp();
        if (closed) return;
        watchFrom(at + 1);
        if (failing) log.info("following etcd {} again at revision {}", where, state.revision());
        failing = false;
      } catch (InterruptedException e) {
        if (closed) return;
      } catch (StoreException | IllegalStateException e) {
        if (closed) return;
        if (!failing) log.warn("cannot follow etcd {}: {}; trying again every {}", where, e.getMessage(), RETRY);
        failing = true;
        // Retried as a lost watch: catch up, then watch again.
        inbox.add(new Signal(watchId, null, null));
        try {
          Thread.sleep(RETRY);
        } catch (InterruptedException ie) {
          if (closed) return;
        }
      }
    }
  }

  /** The objects {@code s} leads to with {@code e}'s changes; validated as {@link ChangePlan} would. */
  private ChangePlan.Current derive(ChangePlan.Current s, WatchEvent e) {
    List<ConfigObject<?>> puts = new ArrayList<>();
    List<ObjectRef> deletes = new ArrayList<>();
    for (WatchEvent.Item i : e.items()) {
      ConfigObject<?> o = i.object();
      if (o != null) {
        puts.add(o);
      } else {
        deletes.add(i.ref());
      }
    }
    if (s instanceof ChangePlan.Valid v) {
      try {
        return new ChangePlan.Valid(e.revision(), v.configuration().with(puts, deletes));
      } catch (ConfigException invalid) {
        // Written by a process with other validation rules (another version, other filters):
        // held as it is, like the SQLite store holds objects that no longer validate.
      }
    }
    Set<ObjectRef> changed = new HashSet<>();
    for (WatchEvent.Item i : e.items()) changed.add(i.ref());
    Map<ObjectRef, ConfigObject<?>> next = new HashMap<>();
    for (ConfigObject<?> o : s.objects()) {
      if (!changed.contains(ObjectRef.of(o))) next.put(ObjectRef.of(o), o);
    }
    for (ConfigObject<?> o : puts) next.put(ObjectRef.of(o), o);
    return ChangePlan.Current.of(e.revision(), List.copyOf(next.values()), paths);
  }

  static long parseRevision(KeyValue kv) {
    String value = kv.getValue().toString(StandardCharsets.UTF_8);
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new StoreException("the etcd key " + kv.getKey().toString(StandardCharsets.UTF_8) + " holds '" + value
          + "', expected a revision number");
    }
  }

  /** The bytes of a revision number as {@link Keys#revision()} holds it. */
  public static ByteSequence revisionValue(long revision) {
    return Keys.bytes(Long.toString(revision));
  }
}
