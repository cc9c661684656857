package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.api.codec.Durations;
import io.sluice.filter.UpstreamCall;
import io.sluice.filter.UpstreamCallException;
import io.sluice.filter.UpstreamCallException.Failure;
import io.sluice.filter.UpstreamReply;
import io.sluice.proxy.message.ChunkDecoder;
import io.sluice.proxy.message.ResponseMessage;
import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.upstream.breaker.Breaker;
import io.sluice.proxy.upstream.lb.EndpointFilter;
import io.sluice.proxy.upstream.retry.RetryRules;
import io.sluice.proxy.websocket.TunnelSide;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One {@link UpstreamCall} a filter sends through the data plane: the driver of its attempts over
 * {@link UpstreamStream}s, as {@link UpstreamAttempts} is for an exchange, without a client side.
 * Each attempt asks the Upstream's circuit breaker, the loop's balancer (excluding endpoints already
 * tried while another is available, and those whose breaker refuses) and the loop's pool
 * ({@link UpstreamConnection#acquire}); its outcome goes to the breakers and outlier detection once.
 * A failed attempt or a retried status goes again as the Upstream's retry policy says (attempts,
 * conditions, backoff on the loop, retry budget); the whole request is in memory, so it can always
 * be sent again. A reused connection that lost the keep-alive race goes again at once on a new
 * connection to the same endpoint, outside the policy, as for an exchange. Each attempt waits for
 * its response head at most the Upstream's {@code timeouts.response}; the call's own
 * {@code timeout}, if any, bounds all attempts.
 *
 * <p>The response body is taken whole into memory, up to the call's {@code maxResponseBody}; a
 * chunked body is asked for as framed so that its trailer fields can be read.
 *
 * <p>The result completes in a new task on the loop, never inside a connection's callback, so the
 * filter's continuation may use the pool (even the connection just released) freely.
 *
 * <p>Threading: the call's event loop only (the data plane's loop of the exchange that made it).
 * A call allocates this object, its head and its body; it is not on the path of requests that
 * make no calls.
 */
final class OutboundCall implements UpstreamStream.Events, EndpointFilter, RequestView {
  private final UpstreamCall call;
  private final UpstreamRuntime upstream;
  private final EventLoop loop;
  private final ByteBufAllocator alloc;
  private final UnexpectedErrors unexpected;
  private final String clientIp;
  private final @Nullable RetryRules rules;
  private final CompletableFuture<UpstreamReply> result = new CompletableFuture<>();
  private final List<Endpoint> tried = new ArrayList<>(2);
  private final List<Endpoint> refused = new ArrayList<>(0);
  private boolean excludeTried;

  private boolean done;
  private boolean budgetCounted;
  private boolean retrySlot;
  private int attempts;
  private @Nullable ScheduledFuture<?> deadlineTimer;
  private @Nullable ScheduledFuture<?> backoffTimer;
  /** When the call's own deadline passes (System.nanoTime), or 0 without one. */
  private long deadline;

  // The attempt in progress.
  private @Nullable UpstreamStream stream;
  private boolean attemptOpen;
  private @Nullable Endpoint endpoint;
  private UpstreamRuntime.@Nullable EndpointGuard guard;
  private boolean upstreamPermit;
  private boolean endpointPermit;
  private long attemptStart;

  // The response.
  private int status;
  private List<UpstreamCall.Header> headers = List.of();
  private final List<UpstreamCall.Header> trailers = new ArrayList<>(0);
  private byte[] body = new byte[0];
  private int bodyLength;
  private boolean chunked;
  private final ChunkDecoder dechunker = new ChunkDecoder();
  private final ChunkDecoder.DataSink bodyPieces = this::append;
  private final ChunkDecoder.TrailerSink trailerFields = (name, value) -> trailers.add(new UpstreamCall.Header(name, value));

  OutboundCall(UpstreamCall call, UpstreamRuntime upstream, EventLoop loop, ByteBufAllocator alloc,
      UnexpectedErrors unexpected, String clientIp) {
    this.call = call;
    this.upstream = upstream;
    this.loop = loop;
    this.alloc = alloc;
    this.unexpected = unexpected;
    this.clientIp = clientIp;
    this.rules = upstream.retries;
  }

  /** The call's result, completed on the loop. */
  CompletableFuture<UpstreamReply> result() {
    return result;
  }

  /** Starts the first attempt; on the loop. */
  void start() {
    RetryRules r = rules;
    if (r != null) {
      budgetCounted = true;
      upstream.retryBudget.requestStarted();
    }
    Duration t = call.timeout();
    if (t != null) {
      deadline = System.nanoTime() + t.toNanos();
      deadlineTimer = loop.schedule(this::deadlinePassed, t.toNanos(), TimeUnit.NANOSECONDS);
    }
    next();
  }

  private void next() {
    if (done) return;
    UpstreamRuntime u = upstream;
    Breaker breaker = u.breaker;
    if (breaker != null && !breaker.tryAcquire()) {
      fail(Failure.CIRCUIT_OPEN, "the circuit breaker of Upstream " + u.name + " is open");
      return;
    }
    upstreamPermit = breaker != null;
    LoopThread current = LoopThread.current();
    Endpoint e;
    while (true) {
      excludeTried = true;
      e = u.balancer(current).pick(this, tried.isEmpty() && refused.isEmpty() ? null : this);
      if (e == null && !tried.isEmpty()) {
        // Never the same endpoint when another is available; the same one when none is.
        excludeTried = false;
        e = u.balancer(current).pick(this, this);
      }
      if (e == null) break;
      UpstreamRuntime.EndpointGuard g = u.guard(e);
      Breaker eb = g == null ? null : g.breaker();
      if (eb == null || eb.tryAcquire()) {
        endpointPermit = eb != null;
        guard = g;
        break;
      }
      refused.add(e);
    }
    if (e == null) {
      releasePermits();
      fail(Failure.NO_HEALTHY_ENDPOINT, "no endpoint of Upstream " + u.name + " is available");
      return;
    }
    if (!open(e, false)) {
      releasePermits();
      fail(Failure.OVERFLOW, "connection limit reached for " + e.address() + " of Upstream " + u.name);
      return;
    }
    attempts++;
    if (!tried.contains(e)) tried.add(e);
    endpoint = e;
    attemptOpen = true;
    attemptStart = System.nanoTime();
  }

  /** Sends the call to {@code e} on a pooled connection, or a new one when {@code fresh}; false at the connection limit. */
  private boolean open(Endpoint e, boolean fresh) {
    ByteBuf request = encode(e);
    // The Upstream's own per-attempt timeout; the call's deadline has its own timer (deadlinePassed).
    long timeout = upstream.responseTimeoutNanos;
    UpstreamConnection c = fresh
        ? UpstreamConnection.open(this, loop, upstream, e, request, call.method(), true, true, timeout, unexpected)
        : UpstreamConnection.acquire(this, loop, upstream, e, request, call.method(), true, true, timeout, unexpected);
    if (c == null) {
      request.release();
      return false;
    }
    stream = c;
    return true;
  }

  /** The request as HTTP/1.1: head and body in one buffer, so the whole request goes with the head. */
  private ByteBuf encode(Endpoint e) {
    byte[] b = call.body();
    ByteBuf out = alloc.ioBuffer(256 + b.length);
    ascii(out, call.method()).writeByte(' ');
    ascii(out, call.path()).writeBytes(HTTP11);
    String authority = call.authority();
    ascii(out, "Host: ");
    ascii(out, authority != null ? authority : e.address()).writeBytes(CRLF);
    for (UpstreamCall.Header h : call.headers()) {
      ascii(out, h.name()).writeBytes(COLON);
      out.writeCharSequence(h.value(), StandardCharsets.ISO_8859_1);
      out.writeBytes(CRLF);
    }
    if (b.length > 0 || !call.method().equals("GET") && !call.method().equals("HEAD")) {
      ascii(out, "Content-Length: " + b.length).writeBytes(CRLF);
    }
    out.writeBytes(CRLF).writeBytes(b);
    return out;
  }

  private static ByteBuf ascii(ByteBuf out, String s) {
    out.writeCharSequence(s, StandardCharsets.US_ASCII);
    return out;
  }

  private static final byte[] HTTP11 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] COLON = {':', ' '};

  // ---- UpstreamStream.Events

  @Override
  public void onReady() {
    // The request went with the head: nothing follows it.
  }

  @Override
  public void onWritable() {
    // Nothing more to write.
  }

  @Override
  public int onResponseHead(ResponseMessage head) {
    int s = head.status();
    closeAttempt(s);
    if (done) return UpstreamStream.DROP;
    RetryRules r = rules;
    if (r != null && r.retriesStatus(s) && mayRetry(false)) {
      stream = null;
      scheduleRetry();
      return UpstreamStream.DROP;
    }
    if (head.bodyLength() > call.maxResponseBody()) {
      stream = null;
      fail(Failure.BODY_TOO_LARGE, "the response of Upstream " + upstream.name + " has a body of " + head.bodyLength()
          + " bytes, more than the call's limit of " + call.maxResponseBody());
      return UpstreamStream.DROP;
    }
    status = s;
    List<UpstreamCall.Header> h = new ArrayList<>(head.headerCount());
    for (int i = 0; i < head.headerCount(); i++) {
      if (!head.isHopByHop(i)) h.add(new UpstreamCall.Header(head.headerName(i), head.headerValue(i)));
    }
    headers = h;
    chunked = head.bodyChunked();
    if (chunked) dechunker.reset(trailerFields);
    if (head.bodyLength() > 0) body = new byte[(int) head.bodyLength()];
    return chunked ? UpstreamStream.BODY_FRAMED : UpstreamStream.BODY_DECODED;
  }

  @Override
  public void onResponseData(ByteBuf data) {
    try {
      if (done) return;
      if (chunked) {
        dechunker.decode(data, data.readerIndex(), data.writerIndex(), bodyPieces);
      } else {
        append(data, data.readerIndex(), data.readableBytes());
      }
    } finally {
      data.release();
    }
  }

  private void append(ByteBuf src, int from, int length) {
    if (done || length == 0) return;
    if ((long) bodyLength + length > call.maxResponseBody()) {
      UpstreamStream s = stream;
      stream = null;
      if (s != null) s.abort();
      fail(Failure.BODY_TOO_LARGE, "the response body of Upstream " + upstream.name + " is longer than the call's limit of "
          + call.maxResponseBody() + " bytes");
      return;
    }
    if (bodyLength + length > body.length) body = Arrays.copyOf(body, Math.max(bodyLength + length, body.length * 2));
    src.getBytes(from, body, bodyLength, length);
    bodyLength += length;
  }

  @Override
  public void onResponseFlush() {
    // Nothing is written anywhere until the body is complete.
  }

  /** Trailers as an HTTP/2 upstream sends them (an HTTP/1.1 chunked body's come in its framing instead). */
  @Override
  public void onResponseTrailers(io.sluice.proxy.message.Trailers fields) {
    for (int i = 0; i < fields.count(); i++) trailers.add(new UpstreamCall.Header(fields.name(i), fields.value(i)));
  }

  @Override
  public void onResponseEnd() {
    stream = null;
    if (done) return;
    byte[] b = bodyLength == body.length ? body : Arrays.copyOf(body, bodyLength);
    UpstreamReply reply = new UpstreamReply(status, headers, b, trailers);
    finish();
    loop.execute(() -> result.complete(reply));
  }

  @Override
  public void onFailure(FailureKind kind, String message, boolean staleReuse) {
    stream = null;
    if (done) return;
    Endpoint e = endpoint;
    if (staleReuse && attemptOpen && e != null && open(e, true)) return;
    boolean beforeHead = attemptOpen;
    if (beforeHead) {
      if (kind.upstreamFault()) {
        closeAttempt(0);
      } else {
        attemptOpen = false;
        releasePermits();
        endRetrySlot();
      }
      RetryRules r = rules;
      if (r != null && kind.retriedBy(r) && mayRetry(kind.nothingSent())) {
        scheduleRetry();
        return;
      }
    }
    fail(failure(kind), "Upstream " + upstream.name + ": " + message);
  }

  @Override
  public boolean clientWritable() {
    return true;
  }

  @Override
  public void onSwitchingProtocols(TunnelSide connection, @Nullable String upgrade, @Nullable String accept, ByteBuf head) {
    // Never asked for (the call sends no Upgrade); a 101 anyway is the upstream's protocol error.
    head.release();
    ByteBuf rest = connection.received();
    if (rest != null) rest.release();
    connection.handler().close();
    stream = null;
    fail(Failure.UPSTREAM_RESET, "Upstream " + upstream.name + " switched protocols on a call that did not ask for it");
  }

  private static Failure failure(FailureKind kind) {
    return switch (kind) {
      case CONNECT_FAILURE, CONNECT_TIMEOUT, TLS_HANDSHAKE, CERT_INVALID -> Failure.CONNECT_FAILURE;
      case RESPONSE_TIMEOUT, REQUEST_TIMEOUT -> Failure.TIMEOUT;
      case CIRCUIT_OPEN -> Failure.CIRCUIT_OPEN;
      case NO_HEALTHY_UPSTREAM -> Failure.NO_HEALTHY_ENDPOINT;
      case OVERFLOW -> Failure.OVERFLOW;
      case RESET, PROTOCOL_ERROR, CLIENT_BODY_TIMEOUT -> Failure.UPSTREAM_RESET;
    };
  }

  // ---- attempts

  /** @param nothingSent nothing of the request reached the upstream (a connect failure) */
  private boolean mayRetry(boolean nothingSent) {
    RetryRules r = rules;
    if (r == null || attempts >= r.attempts) return false;
    if (!nothingSent && !r.mayRetry(call.method())) return false;
    if (deadline != 0 && deadline - System.nanoTime() <= 0) return false;
    if (!upstream.retryBudget.tryStartRetry(r.budgetPercent, r.budgetMinConcurrency)) return false;
    retrySlot = true;
    return true;
  }

  private void scheduleRetry() {
    RetryRules r = rules;
    if (r == null) throw new IllegalStateException("a retry without a retry policy");
    backoffTimer = loop.schedule(() -> {
      backoffTimer = null;
      next();
    }, r.backoffNanos(attempts), TimeUnit.NANOSECONDS);
  }

  private void deadlinePassed() {
    deadlineTimer = null;
    if (done) return;
    UpstreamStream s = stream;
    stream = null;
    if (s != null) s.abort();
    if (attemptOpen) closeAttempt(0);
    Duration t = call.timeout();
    fail(Failure.TIMEOUT, "no response from Upstream " + upstream.name + " within the call's timeout of "
        + (t == null ? "?" : Durations.format(t)));
  }

  /** Records the outcome of the attempt in progress (status 0: a gateway failure) and ends it. */
  private void closeAttempt(int status) {
    if (!attemptOpen) return;
    attemptOpen = false;
    UpstreamRuntime u = upstream;
    if (u.breaker != null || guard != null) {
      u.recordOutcome(guard, upstreamPermit, endpointPermit, System.nanoTime() - attemptStart, status, loop);
    }
    upstreamPermit = false;
    endpointPermit = false;
    guard = null;
    endRetrySlot();
  }

  private void releasePermits() {
    Breaker b = upstream.breaker;
    if (upstreamPermit && b != null) b.release();
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

  private void fail(Failure failure, String message) {
    if (done) return;
    UpstreamStream s = stream;
    stream = null;
    if (s != null) s.abort();
    if (attemptOpen) {
      attemptOpen = false;
      releasePermits();
    }
    finish();
    UpstreamCallException error = new UpstreamCallException(failure, message);
    loop.execute(() -> result.completeExceptionally(error));
  }

  /** Ends the call: timers, retry slot and budget. */
  private void finish() {
    done = true;
    endRetrySlot();
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
      deadlineTimer = null;
    }
    if (backoffTimer != null) {
      backoffTimer.cancel(false);
      backoffTimer = null;
    }
    if (budgetCounted) {
      budgetCounted = false;
      upstream.retryBudget.requestEnded();
    }
  }

  // ---- EndpointFilter: the endpoints a retry's pick skips

  @Override
  public boolean excludes(Endpoint e) {
    return refused.contains(e) || excludeTried && tried.contains(e);
  }

  // ---- RequestView: what the balancer sees (hash policies read the path, a header, the client address)

  @Override
  public String method() {
    return call.method();
  }

  @Override
  public String host() {
    String a = call.authority();
    if (a == null) return "";
    int colon = a.lastIndexOf(':');
    return (colon > 0 && a.indexOf(']') < colon ? a.substring(0, colon) : a).toLowerCase(Locale.ROOT);
  }

  @Override
  public String path() {
    String p = call.path();
    int q = p.indexOf('?');
    return q < 0 ? p : p.substring(0, q);
  }

  @Override
  public @Nullable String query() {
    String p = call.path();
    int q = p.indexOf('?');
    return q < 0 ? null : p.substring(q + 1);
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    for (UpstreamCall.Header h : call.headers()) {
      if (h.name().equalsIgnoreCase(lowerCaseName)) return h.value();
    }
    return null;
  }

  @Override
  public String clientIp() {
    return clientIp;
  }
}
