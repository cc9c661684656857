package io.sluice.proxy.accesslog.internal;

import io.sluice.api.listener.AccessLog;
import io.sluice.api.validate.PathPolicy;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's access log writer: one bounded multi-producer queue that every event loop offers
 * entries to, drained by one thread that formats the lines and writes them to their outputs.
 *
 * <p>The event loops never wait: {@link #offer} is a lock-free array-queue insertion, and when the
 * queue is full the entry is dropped (the caller counts it). The writer does not wake up per entry
 * either: when the queue is empty it flushes its outputs and sleeps, from 1 ms up to 50 ms while it
 * stays idle, so a burst waits at most that long to be written. While no listener logs at all it
 * sleeps until one does (no wake-ups on a gateway that logs nothing: on a core pinned to the
 * event loop each one would interrupt it).
 *
 * <p>Outputs ({@link #sink}) are shared by every listener logging to the same file, created at apply
 * time and opened on first write by the writer thread.
 */
public final class AccessLogWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
  /** Entries waiting to be written, shared by all listeners. */
  public static final int DEFAULT_CAPACITY = Integer.getInteger("sluice.accessLog.queueSize", 65_536);
  private static final long MAX_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final MpscArrayQueue<AccessLogEntry> queue;
  private final ConcurrentLinkedQueue<AccessLogSink> retired = new ConcurrentLinkedQueue<>();
  /** Sinks by key; touched by apply (serialised) only. */
  private final Map<String, AccessLogSink> sinks = new HashMap<>();
  private final Thread thread;
  private final LineBuffer line = new LineBuffer();
  private final Set<AccessLogSink> dirty = Collections.newSetFromMap(new IdentityHashMap<>());
  private volatile boolean running = true;
  /** Whether any output exists; written under this object's lock, read by the writer thread. */
  private volatile boolean hasSinks;

  public AccessLogWriter(int capacity) {
    this.queue = new MpscArrayQueue<>(capacity);
    // Normal priority whoever creates it: a starved writer would drop entries
    // (docs/architecture.md, "Threads and priorities").
    this.thread = Thread.ofPlatform().daemon().priority(Thread.NORM_PRIORITY).name("sluice-access-log").unstarted(this::run);
  }

  public AccessLogWriter start() {
    thread.start();
    return this;
  }

  /** Queues an entry; false (and nothing queued) when the queue is full. Any thread, never blocks. */
  public boolean offer(AccessLogEntry e) {
    return queue.offer(e);
  }

  /** Entries waiting to be written now. */
  public int queued() {
    return queue.size();
  }

  /**
   * The output for a listener's log: one per file (or standard output), shared. The file is
   * {@code spec.file.path} in the log directory of {@code paths}, which it is checked against
   * again whenever it is opened. Apply time only.
   */
  public synchronized AccessLogSink sink(AccessLog spec, PathPolicy paths) {
    AccessLog.FileOutput f = spec.file();
    AccessLogSink sink;
    if (f == null) {
      sink = sinks.computeIfAbsent("stdout", k -> new StdoutSink());
    } else {
      Path path = paths.resolve(PathPolicy.Directory.LOGS, f.path());
      sink = sinks.computeIfAbsent(path.toString(),
          k -> new RotatingFileSink(path, paths, f.maxSize().bytes(), f.rotateEvery(), f.keep()));
    }
    if (!hasSinks) {
      hasSinks = true;
      LockSupport.unpark(thread);
    }
    return sink;
  }

  /**
   * Closes the outputs not in {@code used} once the entries already queued for them are written.
   * Entries for them that arrive later are dropped. Apply time only.
   */
  public synchronized void retainOnly(Set<String> used) {
    for (Map.Entry<String, AccessLogSink> e : Map.copyOf(sinks).entrySet()) {
      if (!used.contains(e.getKey())) {
        sinks.remove(e.getKey());
        retired.add(e.getValue());
      }
    }
    hasSinks = !sinks.isEmpty();
    LockSupport.unpark(thread);
  }

  /** The writer thread's state, for tests: it waits without a timeout while nothing logs. */
  Thread.State writerState() {
    return thread.getState();
  }

  private void run() {
    long idle = 0;
    while (true) {
      int n = queue.drain(this::write, 4096);
      if (n > 0) {
        idle = 0;
        continue;
      }
      flushDirty();
      AccessLogSink s;
      while ((s = retired.poll()) != null) s.close();
      if (!running && queue.isEmpty()) break;
      if (!hasSinks && retired.isEmpty() && queue.isEmpty()) {
        // sink() and close() unpark; a permit given before this park makes it return at once.
        LockSupport.park(this);
        idle = 0;
        continue;
      }
      idle = idle == 0 ? TimeUnit.MILLISECONDS.toNanos(1) : Math.min(idle * 2, MAX_IDLE_NANOS);
      LockSupport.parkNanos(this, idle);
    }
    flushDirty();
    synchronized (this) {
      for (AccessLogSink s : sinks.values()) s.close();
    }
  }

  private void write(AccessLogEntry e) {
    try {
      line.reset();
      e.log().format().format(e, line);
      line.append('\n');
      AccessLogSink sink = e.log().sink();
      sink.write(line.bytes(), line.length());
      dirty.add(sink);
    } catch (RuntimeException x) {
      log.warn("access log entry not written: {}", x.toString());
    }
  }

  private void flushDirty() {
    for (AccessLogSink s : dirty) s.flush();
    dirty.clear();
  }

  /** Writes what is queued, closes the outputs and stops the thread (waits up to 5 s). */
  @Override
  public void close() {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
