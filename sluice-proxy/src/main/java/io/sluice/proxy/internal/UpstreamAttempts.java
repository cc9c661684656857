package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.api.codec.Durations;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.upstream.breaker.Breaker;
import io.sluice.proxy.upstream.lb.EndpointFilter;
import io.sluice.proxy.upstream.retry.RetryRules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The attempts of one exchange at its upstream: circuit breakers, the endpoint pick, retries with
 * backoff and budget, the replay buffer of the request body, and the route's request timeout. One
 * instance per client connection, reused for each exchange, so a request that is never retried
 * allocates nothing here.
 *
 * <p>An attempt: the upstream's breaker must permit it (else 503 {@code circuit_open} on the first
 * attempt); the balancer picks an endpoint, excluding those already tried while another is
 * available, and those whose breaker refuses; the connection is acquired. Its outcome (the
 * response status at the response head, or a gateway failure) goes to both breakers and outlier
 * detection exactly once.
 *
 * <p>A retry happens only before any response byte went to the client, only within the policy's
 * attempts, the retry budget and the route's request timeout, and only if the request can be sent
 * again: a connect failure can always be retried (nothing reached the upstream); after anything
 * was sent, the method must be idempotent (or {@code retryNonIdempotent} set) and every body byte
 * sent so far must be in the replay buffer, which keeps up to {@code replayBufferLimit} bytes as
 * retained slices of the received buffers (no copy). A retried response is dropped unread with its
 * connection. A body that request buffering read whole before the first attempt is kept too,
 * whatever the policy: {@link UpstreamConnection} sends it again when a reused connection turns
 * out to have been closed by the upstream before it read the request: that attempt goes on at
 * once on a new connection ({@link #reconnect}), outside the retry policy.
 *
 * <p>Threading: the client connection's event loop only.
 */
final class UpstreamAttempts implements EndpointFilter {
  private final ProxyExchange down;
  private final ArrayList<ByteBuf> replay = new ArrayList<>();
  private Endpoint[] tried = new Endpoint[4];
  private Endpoint[] refused = new Endpoint[4];

  // The exchange.
  private @Nullable UpstreamRuntime upstream;
  private @Nullable RetryRules rules;
  private @Nullable RouteTraffic traffic;
  private @Nullable RequestMessage request;
  private boolean active;
  /** The request is a gRPC call and the policy retries gRPC codes: it may be retried whatever its method. */
  private boolean grpcRetries;
  private int attempts;
  private int triedCount;
  private int refusedCount;
  /** While true, {@link #excludes} skips tried endpoints too, not only refused ones. */
  private boolean excludeTried;
  private boolean budgetCounted;
  private boolean retrySlot;
  /** Body bytes go to the replay buffer while this holds. */
  private boolean replaying;
  private long replayBytes;
  /** The most body bytes the replay buffer keeps for this exchange. */
  private long replayLimit;
  /** Every body byte sent so far can be sent again (vacuously true before any is sent). */
  private boolean replayComplete;
  private @Nullable ScheduledFuture<?> backoffTimer;
  private @Nullable ScheduledFuture<?> deadlineTimer;
  /** A gRPC call's {@code grpc-timeout} from the exchange's start: the whole call's deadline (System.nanoTime()), or 0. */
  private long callDeadline;
  private long callTimeoutNanos;
  private @Nullable ScheduledFuture<?> callTimer;

  // The attempt in progress.
  private boolean attemptOpen;
  private @Nullable Endpoint endpoint;
  private UpstreamRuntime.@Nullable EndpointGuard guard;
  private boolean upstreamPermit;
  private boolean endpointPermit;
  private long attemptStart;

  UpstreamAttempts(ProxyExchange down) {
    this.down = down;
  }

  /**
   * Starts an exchange with {@code upstream}; {@link #next()} then makes the first attempt.
   *
   * @param bodyBuffered the whole body is in memory already (request buffering): it is kept for
   *     replay whatever the retry policy, since a connection the upstream refused lets it go again
   */
  void begin(UpstreamRuntime upstream, RouteTraffic traffic, RequestMessage request, boolean bodyBuffered) {
    this.upstream = upstream;
    this.traffic = traffic;
    this.request = request;
    this.rules = traffic.retries() != null ? traffic.retries() : upstream.retries;
    this.active = true;
    this.attempts = 0;
    this.triedCount = 0;
    this.refusedCount = 0;
    this.replayBytes = 0;
    this.replayComplete = true;
    RetryRules r = rules;
    this.grpcRetries = r != null && r.retriesGrpc && io.sluice.proxy.grpc.GrpcStatus.isGrpc(request);
    boolean byPolicy = r != null && (grpcRetries || r.mayRetry(request.method()))
        && request.contentLength() <= r.replayBufferLimit;
    this.replaying = request.hasBody() && (bodyBuffered || byPolicy);
    this.replayLimit = bodyBuffered ? Long.MAX_VALUE : byPolicy ? r.replayBufferLimit : 0;
    if (r != null) {
      budgetCounted = true;
      upstream.retryBudget.requestStarted();
    }
    // A gRPC call's grpc-timeout bounds the whole call, every attempt and backoff included.
    long grpcTimeout = io.sluice.proxy.grpc.GrpcStatus.timeoutNanos(request);
    callTimeoutNanos = grpcTimeout;
    callDeadline = 0;
    if (grpcTimeout > 0 && io.sluice.proxy.grpc.GrpcStatus.isGrpc(request)) {
      callDeadline = System.nanoTime() + grpcTimeout;
      callTimer = down.eventLoop().schedule(this::callDeadlinePassed, grpcTimeout, TimeUnit.NANOSECONDS);
    }
    if (!request.hasBody()) requestReceived();
  }

  /**
   * What is left of a gRPC call's deadline ({@code grpc-timeout}), in nanoseconds: at least 1, or
   * -1 when the call has none. Each attempt's response timeout is capped by it, and the attempt
   * sends it upstream as its {@code grpc-timeout}.
   */
  long callRemainingNanos() {
    if (callDeadline == 0) return -1;
    return Math.max(1, callDeadline - System.nanoTime());
  }

  /** The response timeout of each attempt: the route's, else the upstream's. */
  long responseTimeoutNanos(UpstreamRuntime u) {
    RouteTraffic t = traffic;
    return t != null && t.responseTimeoutNanos() > 0 ? t.responseTimeoutNanos() : u.responseTimeoutNanos;
  }

  /** The whole request has been received from the client: the route's request timeout starts. */
  void requestReceived() {
    RouteTraffic t = traffic;
    if (t != null && t.requestTimeoutNanos() > 0 && deadlineTimer == null) {
      deadlineTimer = down.eventLoop().schedule(this::deadlinePassed, t.requestTimeoutNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Makes the next attempt: breakers, pick, connection. On success the exchange is attached to
   * the new upstream connection; otherwise the client gets the gateway's error.
   */
  void next() {
    UpstreamRuntime u = upstream;
    RequestMessage h = request;
    Breaker breaker = u.breaker;
    if (breaker != null && !breaker.tryAcquire()) {
      endExchange();
      down.failExchange(FailureKind.CIRCUIT_OPEN, "the circuit breaker of upstream " + u.name + " is open");
      return;
    }
    upstreamPermit = breaker != null;
    LoopThread loop = LoopThread.current();
    Endpoint e;
    UpstreamRuntime.EndpointGuard g;
    while (true) {
      excludeTried = true;
      e = u.balancer(loop).pick(h, triedCount + refusedCount == 0 ? null : this);
      if (e == null && triedCount > 0) {
        // Never the same endpoint when another is available; the same one when none is.
        excludeTried = false;
        e = u.balancer(loop).pick(h, this);
      }
      if (e == null) break;
      g = u.guard(e);
      Breaker eb = g == null ? null : g.breaker();
      if (eb == null || eb.tryAcquire()) {
        endpointPermit = eb != null;
        guard = g;
        break;
      }
      refuse(e);
    }
    if (e == null) {
      releasePermits();
      endExchange();
      down.failExchange(FailureKind.NO_HEALTHY_UPSTREAM, "no endpoint of upstream " + u.name + " is available");
      return;
    }
    down.attemptEndpoint(u, e);
    ByteBuf head = requestHead();
    UpstreamStream up = down.openStream(u, e, head, false);
    if (up == null) {
      head.release();
      releasePermits();
      endExchange();
      down.failExchange(FailureKind.OVERFLOW, "connection limit reached for " + e.address());
      return;
    }
    attempts++;
    addTried(e);
    endpoint = e;
    attemptOpen = true;
    // Only breakers need the call's duration: without one, no clock is read.
    if (u.breaker != null || guard != null) attemptStart = System.nanoTime();
    down.attach(up);
  }

  /** The head to send, followed for a retry by the body sent so far. */
  ByteBuf requestHead() {
    ByteBuf head = down.encodeUpstreamRequest();
    if (replay.isEmpty()) return head;
    CompositeByteBuf all = down.alloc().compositeBuffer(replay.size() + 1);
    all.addComponent(true, head);
    for (ByteBuf b : replay) all.addComponent(true, b.retainedDuplicate());
    return all;
  }

  /** Body bytes {@code in[from, from + length)} have gone to the upstream. */
  void bodyForwarded(ByteBuf in, int from, int length) {
    if (!replaying) {
      replayComplete = false;
      return;
    }
    if (replayBytes + length > replayLimit) {
      // Too long to keep: from now on this request cannot be sent again.
      replaying = false;
      replayComplete = false;
      releaseReplay();
      return;
    }
    replay.add(in.retainedSlice(from, length));
    replayBytes += length;
  }

  /**
   * The response head of the current attempt arrived with {@code status}. Records the outcome;
   * returns true when the response is to be dropped and the request retried (a retry is then
   * scheduled), false when it goes to the client.
   */
  boolean responded(int status) {
    return responded(status, -1);
  }

  /**
   * Like {@link #responded(int)}, for a head that may be a gRPC trailers-only answer:
   * {@code grpcStatus} is its {@code grpc-status} (-1 when it has none), retried when the policy
   * lists it and the request is a gRPC call.
   */
  boolean responded(int status, int grpcStatus) {
    if (!attemptOpen) return false;
    closeAttempt(status);
    RetryRules r = rules;
    boolean retried = r != null && (r.retriesStatus(status) || (grpcRetries && r.retriesGrpcStatus(grpcStatus)));
    if (retried && mayRetry(false)) {
      scheduleRetry();
      return true;
    }
    cancelDeadline();
    return false;
  }

  /**
   * The current attempt failed (the upstream connection is gone). Records the outcome; returns
   * true when a retry was scheduled, false when the failure goes to the client.
   */
  boolean failed(FailureKind kind) {
    if (!attemptOpen) return false;
    if (!kind.upstreamFault()) {
      // Not the upstream's failure (the client's body stopped arriving): no outcome to record.
      abandonAttempt();
      return false;
    }
    closeAttempt(0);
    RetryRules r = rules;
    if (r != null && kind.retriedBy(r) && mayRetry(kind.nothingSent())) {
      scheduleRetry();
      return true;
    }
    return false;
  }

  /**
   * The keep-alive race was lost on a reused connection, and the request can go again (see
   * {@link UpstreamConnection}): the attempt in progress goes on at once on a new connection to the
   * same endpoint; true when it does. Otherwise the caller goes on with {@link #failed}.
   *
   * <p>The breakers see one call, no backoff is waited, and neither the policy's attempts nor the
   * retry budget are used: a pooled connection the upstream closed says nothing about the upstream
   * (the behaviour before this went through here, kept). {@link Observation} still sees a new
   * attempt and a new connection. A new connection cannot lose the race, so this happens at most
   * once per attempt. False when no attempt is in progress or the endpoint's connection limit is
   * reached.
   */
  boolean reconnect() {
    Endpoint e = endpoint;
    UpstreamRuntime u = upstream;
    if (!active || !attemptOpen || e == null || u == null) return false;
    ByteBuf head = requestHead();
    UpstreamStream up = down.openStream(u, e, head, true);
    if (up == null) {
      head.release();
      return false;
    }
    down.attach(up);
    return true;
  }

  /** @param nothingSent nothing of the request reached the upstream (a connect failure) */
  private boolean mayRetry(boolean nothingSent) {
    RetryRules r = rules;
    if (r == null || attempts >= r.attempts || down.responseStarted()) return false;
    if (nothingSent) {
      // Nothing reached the upstream; only the body already taken from the client must be replayable.
      if (!replayComplete) return false;
    } else if (!(grpcRetries || r.mayRetry(request.method())) || !replayComplete || replayBytes > r.replayBufferLimit) {
      // A buffered body is kept whole whatever its length; the policy still replays only up to its limit.
      return false;
    }
    if (!upstream.retryBudget.tryStartRetry(r.budgetPercent, r.budgetMinConcurrency)) return false;
    retrySlot = true;
    return true;
  }

  private void scheduleRetry() {
    down.awaitRetry();
    backoffTimer = down.eventLoop().schedule(this::retryNow, rules.backoffNanos(attempts), TimeUnit.NANOSECONDS);
  }

  private void retryNow() {
    backoffTimer = null;
    if (!active) return;
    next();
  }

  private void deadlinePassed() {
    deadlineTimer = null;
    if (!active || down.responseStarted()) return;
    if (attemptOpen) closeAttempt(0);
    if (backoffTimer != null) {
      backoffTimer.cancel(false);
      backoffTimer = null;
    }
    Duration d = Duration.ofNanos(traffic.requestTimeoutNanos());
    endExchange();
    down.requestTimedOut(FailureKind.REQUEST_TIMEOUT, "no response from upstream " + upstream.name + " within the route's "
        + "request timeout of " + Durations.format(d));
  }

  /** A gRPC call's grpc-timeout passed before a response went to the client: DEADLINE_EXCEEDED, as the route's request timeout. */
  private void callDeadlinePassed() {
    callTimer = null;
    if (!active || down.responseStarted()) return;
    if (attemptOpen) closeAttempt(0);
    if (backoffTimer != null) {
      backoffTimer.cancel(false);
      backoffTimer = null;
    }
    Duration d = Duration.ofNanos(callTimeoutNanos);
    endExchange();
    down.requestTimedOut(FailureKind.REQUEST_TIMEOUT, "no response from upstream " + upstream.name
        + " within the call's grpc-timeout of " + Durations.format(d) + " (every attempt included)");
  }

  /** Records the outcome of the attempt in progress (status 0: a gateway failure) and ends it. */
  private void closeAttempt(int status) {
    attemptOpen = false;
    UpstreamRuntime u = upstream;
    if (u.breaker != null || guard != null) {
      u.recordOutcome(guard, upstreamPermit, endpointPermit, System.nanoTime() - attemptStart, status,
          down.eventLoop());
    }
    upstreamPermit = false;
    endpointPermit = false;
    guard = null;
    endRetrySlot();
  }

  /** Ends the attempt in progress without an outcome (the client went away or its body stalled). */
  private void abandonAttempt() {
    attemptOpen = false;
    releasePermits();
    endRetrySlot();
  }

  private void releasePermits() {
    UpstreamRuntime u = upstream;
    if (upstreamPermit && u.breaker != null) u.breaker.release();
    UpstreamRuntime.EndpointGuard g = guard;
    if (endpointPermit && g != null && g.breaker() != null) g.breaker().release();
    upstreamPermit = false;
    endpointPermit = false;
    guard = null;
  }

  private void endRetrySlot() {
    if (retrySlot) {
      retrySlot = false;
      upstream.retryBudget.retryEnded();
    }
  }

  /** The exchange completed with a response that went to the client. */
  void complete() {
    if (active) endExchange();
  }

  /** The exchange was abandoned by the client side (connection gone, request refused mid-way). */
  void cancel() {
    if (!active) return;
    if (attemptOpen) abandonAttempt();
    if (backoffTimer != null) {
      backoffTimer.cancel(false);
      backoffTimer = null;
    }
    endExchange();
  }

  private void endExchange() {
    active = false;
    if (attemptOpen) abandonAttempt();
    endRetrySlot();
    cancelDeadline();
    releaseReplay();
    if (budgetCounted) {
      budgetCounted = false;
      upstream.retryBudget.requestEnded();
    }
    callDeadline = 0;
    Arrays.fill(tried, 0, triedCount, null);
    Arrays.fill(refused, 0, refusedCount, null);
    triedCount = 0;
    refusedCount = 0;
    endpoint = null;
    request = null;
  }

  private void cancelDeadline() {
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
      deadlineTimer = null;
    }
    if (callTimer != null) {
      callTimer.cancel(false);
      callTimer = null;
    }
  }

  private void releaseReplay() {
    // Indexed: this runs at the end of every exchange, and the for-each's iterator was not always
    // scalar-replaced (it showed in allocation profiles of the five-filter route).
    for (int i = 0, n = replay.size(); i < n; i++) replay.get(i).release();
    replay.clear();
    replayBytes = 0;
  }

  private void addTried(Endpoint e) {
    for (int i = 0; i < triedCount; i++) {
      if (tried[i] == e) return;
    }
    if (triedCount == tried.length) tried = Arrays.copyOf(tried, triedCount * 2);
    tried[triedCount++] = e;
  }

  private void refuse(Endpoint e) {
    if (refusedCount == refused.length) refused = Arrays.copyOf(refused, refusedCount * 2);
    refused[refusedCount++] = e;
  }

  @Override
  public boolean excludes(Endpoint e) {
    for (int i = 0; i < refusedCount; i++) {
      if (refused[i] == e) return true;
    }
    if (excludeTried) {
      for (int i = 0; i < triedCount; i++) {
        if (tried[i] == e) return true;
      }
    }
    return false;
  }
}
