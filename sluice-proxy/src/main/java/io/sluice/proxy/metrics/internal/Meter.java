package io.sluice.proxy.metrics.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The counters and histograms of one label set (a listener, a route, or an upstream endpoint).
 *
 * <p>Threading: every event loop writes only its own cell, a {@code long[]} that no other thread
 * writes, with plain reads and opaque writes: no lock, no atomic read-modify-write, no allocation
 * (but the first record of each loop, which allocates that loop's cell and publishes it with a
 * release store: a route that sees no traffic costs no cells; with 10,000 routes and two loops,
 * cells allocated up front held about 85 MB). Readers (a scrape, the stats) sum the cells with
 * opaque reads; a value read is one some loop wrote, never torn, and at most a few requests old.
 * Compiled at apply time and hung off the compiled route, endpoint or listener, so the hot path
 * reaches it without a lookup.
 */
public final class Meter {
  /** Exchanges (or, for an endpoint, upstream attempts). */
  static final int REQUESTS = 0;
  /** Responses with status 500 or more, and exchanges cut short by an upstream failure. */
  static final int ERRORS = 1;
  static final int BYTES_IN = 2;
  static final int BYTES_OUT = 3;
  static final int DURATION_SUM = 4;
  static final int ACQUIRED_REUSED = 5;
  static final int ACQUIRED_NEW = 6;
  static final int CONNECT_SUM = 7;
  static final int DROPPED = 8;
  static final int STATUSES = 9;
  /** Counts of status codes without a slot, by class: 1xx to 5xx, then anything else. */
  static final int STATUS_OTHER = STATUSES + CodeSlots.STATUS_SLOTS;
  static final int REASONS = STATUS_OTHER + 6;
  static final int REASON_OTHER = REASONS + CodeSlots.REASON_SLOTS;
  static final int PROMETHEUS = REASON_OTHER + 1;
  static final int CONNECT_PROMETHEUS = PROMETHEUS + Buckets.PROMETHEUS_COUNT;
  static final int FINE = CONNECT_PROMETHEUS + Buckets.PROMETHEUS_COUNT;
  /** gRPC calls by the {@code grpc-status} they ended with: codes 0..16, then any other. */
  static final int GRPC = FINE + Buckets.FINE_COUNT;
  static final int GRPC_CODES = 18;
  static final int SIZE = GRPC + GRPC_CODES;

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[][].class);

  final MeterKind kind;
  /** Label values, in the order of {@link MeterKind#labels}. */
  final List<String> labels;
  final boolean overflow;
  /** One cell per loop, null until that loop records. */
  private final long[][] cells;
  private final CodeSlots slots = new CodeSlots();
  private final SeriesBudget statusBudget;
  private final SeriesBudget reasonBudget;
  /** Written and read by the stats sampler and stats readers only, under its own lock. */
  final MeterHistory history;

  Meter(MeterKind kind, List<String> labels, boolean overflow, int loops, SeriesBudget statusBudget,
      SeriesBudget reasonBudget, long nowNanos) {
    this.kind = kind;
    this.labels = List.copyOf(labels);
    this.overflow = overflow;
    this.cells = new long[loops][];
    this.statusBudget = statusBudget;
    this.reasonBudget = reasonBudget;
    this.history = new MeterHistory(nowNanos);
  }

  public List<String> labels() {
    return labels;
  }

  // ---- recording: on event loop `loop` only ----

  /**
   * Records one finished exchange (or upstream attempt).
   *
   * @param status the response status, or 0 when none was received
   * @param reason the gateway's reason code, or null when the upstream's response went through
   * @param error whether it counts as an error (5xx, or cut short by an upstream failure)
   */
  public void record(int loop, int status, @org.jspecify.annotations.Nullable String reason, boolean error,
      long bytesIn, long bytesOut, long durationNanos) {
    long[] c = cell(loop);
    add(c, REQUESTS, 1);
    if (error) add(c, ERRORS, 1);
    add(c, BYTES_IN, bytesIn);
    add(c, BYTES_OUT, bytesOut);
    add(c, DURATION_SUM, durationNanos);
    if (status > 0) {
      int s = slots.statusSlot(status, statusBudget);
      add(c, s >= 0 ? STATUSES + s : STATUS_OTHER + statusClassIndex(status), 1);
    }
    if (reason != null) {
      int r = slots.reasonSlot(reason, reasonBudget);
      add(c, r >= 0 ? REASONS + r : REASON_OTHER, 1);
    }
    add(c, PROMETHEUS + Buckets.prometheusIndex(durationNanos), 1);
    add(c, FINE + Buckets.fineIndex(durationNanos), 1);
  }

  /**
   * Records the {@code grpc-status} a gRPC call ended with (a route's meter only). Non-gRPC traffic
   * never calls this, so it adds no series for it; a route's gRPC series are at most
   * {@link #GRPC_CODES}, one per code seen.
   */
  public void recordGrpc(int loop, int grpcStatus) {
    long[] c = cell(loop);
    add(c, GRPC + (grpcStatus >= 0 && grpcStatus < GRPC_CODES - 1 ? grpcStatus : GRPC_CODES - 1), 1);
  }

  /** Records how an upstream attempt got its connection: from the pool, or a new one. */
  public void recordAcquired(int loop, boolean reused) {
    long[] c = cell(loop);
    add(c, reused ? ACQUIRED_REUSED : ACQUIRED_NEW, 1);
  }

  /** Records how long an attempt waited for a new connection to be established. */
  public void recordConnect(int loop, long nanos) {
    long[] c = cell(loop);
    add(c, CONNECT_SUM, nanos);
    add(c, CONNECT_PROMETHEUS + Buckets.prometheusIndex(nanos), 1);
  }

  /** Records an access log entry dropped because the writer's queue was full. */
  public void recordDropped(int loop) {
    long[] c = cell(loop);
    add(c, DROPPED, 1);
  }

  private long[] cell(int loop) {
    // Only this loop writes its slot: a plain read sees its own earlier store.
    long[] c = cells[loop];
    if (c == null) {
      c = new long[SIZE];
      CELLS.setRelease(cells, loop, c);
    }
    return c;
  }

  private static void add(long[] c, int i, long delta) {
    // Only this loop writes c: a plain read of its own last write, an opaque write for the readers.
    LONGS.setOpaque(c, i, c[i] + delta);
  }

  static int statusClassIndex(int status) {
    int k = status / 100;
    return k >= 1 && k <= 5 ? k - 1 : 5;
  }

  static String statusClass(int status) {
    int k = status / 100;
    return k >= 1 && k <= 5 ? k + "xx" : "other";
  }

  // ---- reading: any thread ----

  /** The sum over all loops of counter {@code index}. */
  long sum(int index) {
    long s = 0;
    for (int k = 0; k < cells.length; k++) {
      long[] c = (long[]) CELLS.getAcquire(cells, k);
      if (c != null) s += (long) LONGS.getOpaque(c, index);
    }
    return s;
  }

  /** Sums {@code length} counters from {@code from} over all loops into {@code out}. */
  void sum(int from, int length, long[] out) {
    for (int i = 0; i < length; i++) out[i] = 0;
    for (int k = 0; k < cells.length; k++) {
      long[] c = (long[]) CELLS.getAcquire(cells, k);
      if (c == null) continue;
      for (int i = 0; i < length; i++) out[i] += (long) LONGS.getOpaque(c, from + i);
    }
  }

  public long requests() {
    return sum(REQUESTS);
  }

  CodeSlots slots() {
    return slots;
  }

  /** Series this meter took from its families' budgets, to give back when it goes away. */
  void releaseSeries() {
    statusBudget.release(slots.statusesUsed());
    reasonBudget.release(slots.reasonsUsed());
  }
}
