package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.proxy.accesslog.internal.AccessLogEntry;
import io.sluice.proxy.accesslog.internal.CompiledAccessLog;
import io.sluice.filter.Attributes;
import io.sluice.filter.ClientCertificate;
import io.sluice.proxy.filter.internal.FilterExchange;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.metrics.internal.Meter;
import io.sluice.proxy.tracing.internal.ExchangeTrace;
import io.sluice.proxy.tracing.internal.ListenerTracing;
import io.sluice.proxy.upstream.Endpoint;
import org.jspecify.annotations.Nullable;

/**
 * What one client connection records about its exchanges: metrics, the access log entry, the
 * trace spans. {@link DownstreamHandler} calls it at the points that matter (exchange start, route
 * chosen, upstream attempt start, bytes in and out, failure, end); everything else is here.
 *
 * <p>Recording allocates nothing and takes no lock: counters go to the loop's own cells of meters
 * compiled at apply time. An access log entry is one small record per request, formatted on the
 * writer thread; spans exist only for sampled requests.
 *
 * <p>Threading: one instance per client connection, used only on its event loop.
 */
final class Observation {
  /** {@code -Dsluice.metrics=false} turns metric recording off (to measure what it costs). */
  static final boolean METRICS = !"false".equalsIgnoreCase(System.getProperty("sluice.metrics", "true"));
  /** The status logged when the client went away before a response (nginx's convention). */
  static final int CLIENT_CLOSED = 499;
  static final String DOWNSTREAM_CLOSED = "downstream_closed";

  private final ExchangeTrace trace = new ExchangeTrace();
  private int loop = -1;

  private boolean open;
  private @Nullable ListenerObservability listener;
  private @Nullable RequestMessage request;
  private @Nullable RuntimeRoute route;
  private @Nullable UpstreamRuntime upstream;
  private @Nullable Endpoint endpoint;
  private long startNanos;
  /** When the attempt in progress started (System.nanoTime()), or 0 when none is. */
  private long attemptStart;
  private long lastAttemptNanos;
  private boolean newConnection;
  private int status;
  private @Nullable String reason;
  private long bytesIn;
  private long bytesOut;
  /** The client certificate of the exchange's connection, or null. */
  private @Nullable ClientCertificate clientCertificate;
  /** The filters of the exchange, when its route has any: the Consumer they recognised is logged. */
  private @Nullable FilterExchange filters;
  /** The exchange is a gRPC call: its {@code grpc-status} is recorded. */
  private boolean grpc;
  /** The {@code grpc-status} the call ended with (the upstream's or the gateway's), or -1. */
  private int grpcStatus = -1;
  /** The client address of a request refused before its head was read (there is no head to ask). */
  private @Nullable String rejectedClient;

  /** A request head was read; {@code headStart} is when its first byte arrived. */
  void begin(ListenerConfig c, RequestMessage h, long headStart) {
    if (loop < 0) loop = LoopThread.current().index();
    open = true;
    listener = c.observability;
    request = h;
    route = null;
    upstream = null;
    endpoint = null;
    startNanos = headStart;
    attemptStart = 0;
    lastAttemptNanos = -1;
    status = 0;
    reason = null;
    bytesIn = h.headLength();
    bytesOut = 0;
    filters = null;
    grpc = io.sluice.proxy.grpc.GrpcStatus.isGrpc(h);
    grpcStatus = -1;
  }

  /** Whether the exchange is a gRPC call ({@code content-type: application/grpc...}). */
  boolean grpc() {
    return grpc;
  }

  /**
   * A {@code grpc-status} value seen in the response head (trailers-only), its trailers, or the
   * gateway's own trailers-only answer; ignored unless the exchange is a gRPC call. The last one
   * seen wins (a trailers-only head has no trailers after it).
   */
  void grpcStatus(@Nullable String value) {
    if (!grpc || value == null) return;
    grpcStatus = io.sluice.proxy.grpc.GrpcStatus.parse(value);
  }

  /** The router's choice (null: no route); tracing decides here whether to sample. */
  void route(@Nullable RuntimeRoute r) {
    route = r;
    ListenerObservability l = listener;
    RequestMessage h = request;
    if (l == null || h == null || l.tracing() == null) return;
    ListenerTracing t = l.tracing();
    RouteObservability ro = r == null ? null : r.observability();
    trace.start(t, ro == null ? Double.NaN : ro.samplingRatio(), h, l.name(), r == null ? null : r.name(),
        ro == null ? null : ro.httpRoute(), startNanos);
  }

  /** The client certificate the connection's TLS handshake verified (null: none), logged as {@code clientCert}. */
  void clientCertificate(@Nullable ClientCertificate c) {
    clientCertificate = c;
  }

  /** The exchange runs through {@code x}, its route's filters (read when the exchange is logged, before they end). */
  void filters(FilterExchange x) {
    filters = x;
  }

  /** The endpoint the balancer picked. */
  void endpoint(UpstreamRuntime u, Endpoint e) {
    upstream = u;
    endpoint = e;
  }

  /**
   * An upstream attempt starts with this encoded head (a retry is a new attempt). Returns the head
   * to send: with trace context headers when the exchange is traced.
   */
  ByteBuf attemptStarted(ByteBuf head, ByteBufAllocator alloc) {
    long now = System.nanoTime();
    // The attempt before it ended without a response the client got: dropped for a retry, or lost to the keep-alive race.
    if (attemptStart != 0) endAttempt(0, FailureKind.RESET.reason(), now);
    attemptStart = now;
    // What an earlier attempt failed with is not the exchange's outcome any more: this attempt's is.
    reason = null;
    newConnection = false;
    UpstreamRuntime u = upstream;
    Endpoint e = endpoint;
    RequestMessage h = request;
    if (trace.active() && u != null && e != null && h != null) return trace.attempt(head, alloc, h, u.name, e, now);
    return head;
  }

  /** The attempt got a pooled connection ({@code reused}) or is opening a new one. */
  void acquired(boolean reused) {
    newConnection = !reused;
    Meter m = endpointMeter();
    if (METRICS && m != null) m.recordAcquired(loop, reused);
  }

  /** The attempt's connection is ready for the request. */
  void connected() {
    if (!newConnection || attemptStart == 0) return;
    newConnection = false;
    Meter m = endpointMeter();
    if (METRICS && m != null) m.recordConnect(loop, System.nanoTime() - attemptStart);
  }

  void bytesIn(long n) {
    bytesIn += n;
  }

  /** Counts a buffer on its way to the client; the first of an exchange carries its status line. */
  ByteBuf out(ByteBuf b) {
    int n = b.readableBytes();
    if (open && status == 0 && n >= 12) {
      // "HTTP/1.1 200": one read of the three digits.
      int d = b.getMedium(b.readerIndex() + 9);
      status = ((d >> 16) - '0') * 100 + (((d >> 8) & 0xff) - '0') * 10 + ((d & 0xff) - '0');
    }
    bytesOut += n;
    return b;
  }

  /**
   * A response head of {@code status} was written ({@code bytes} on the wire, as the client's codec
   * encoded it): the status the metrics and the access log record, unless one was recorded already.
   */
  void headOut(int status, long bytes) {
    if (open && this.status == 0) this.status = status;
    bytesOut += bytes;
  }

  /** The gateway answers the request itself, for this reason. */
  void reason(String r) {
    reason = r;
  }

  /** The upstream attempt failed (before or during the response). */
  void upstreamFailed(FailureKind kind) {
    endAttempt(status, kind.reason(), System.nanoTime());
    reason = kind.reason();
  }

  /** The exchange is over (its response written, or the connection closing). */
  void end() {
    if (!open) return;
    open = false;
    long now = System.nanoTime();
    int st = status == 0 ? CLIENT_CLOSED : status;
    String rsn = reason == null && status == 0 ? DOWNSTREAM_CLOSED : reason;
    if (attemptStart != 0) endAttempt(status, rsn, now);
    long duration = now - startNanos;
    ListenerObservability l = listener;
    RuntimeRoute r = route;
    boolean error = isError(st, rsn);
    if (METRICS && l != null) {
      l.meter().record(loop, st, rsn, error, bytesIn, bytesOut, duration);
      RouteObservability ro = r == null ? null : r.observability();
      if (ro != null) ro.meter().record(loop, st, rsn, error, bytesIn, bytesOut, duration);
      if (ro != null && grpc && grpcStatus >= 0) ro.meter().recordGrpc(loop, grpcStatus);
    }
    String traceId = trace.traceId();
    trace.end(st, rsn, now);
    if (l != null && l.accessLog() != null) log(l, l.accessLog(), st, rsn, duration, traceId);
    request = null;
    route = null;
    upstream = null;
    endpoint = null;
    filters = null;
  }

  /** Like {@link #rejected(ListenerConfig, String, String, ByteBuf)}, for a response its connection wrote itself. */
  void rejected(@Nullable ListenerConfig c, String clientIp, String rsn, int status, long bytes) {
    if (!open) {
      if (c == null) return;
      if (loop < 0) loop = LoopThread.current().index();
      open = true;
      listener = c.observability;
      request = null;
      route = null;
      startNanos = System.nanoTime();
      attemptStart = 0;
      lastAttemptNanos = -1;
      this.status = 0;
      bytesIn = 0;
      bytesOut = 0;
      filters = null;
      grpc = false;
      grpcStatus = -1;
    }
    reason = rsn;
    headOut(status, bytes);
    rejectedClient = clientIp;
    end();
    rejectedClient = null;
  }

  /**
   * The request is refused as malformed (or its head timed out): counts and logs it, then returns
   * {@code response} for writing. Works whether or not a head had been read.
   */
  ByteBuf rejected(@Nullable ListenerConfig c, String clientIp, String rsn, ByteBuf response) {
    if (!open) {
      if (c == null) return response;
      if (loop < 0) loop = LoopThread.current().index();
      open = true;
      listener = c.observability;
      request = null;
      route = null;
      startNanos = System.nanoTime();
      attemptStart = 0;
      lastAttemptNanos = -1;
      status = 0;
      bytesIn = 0;
      bytesOut = 0;
      filters = null;
      grpc = false;
      grpcStatus = -1;
    }
    reason = rsn;
    out(response);
    rejectedClient = clientIp;
    end();
    rejectedClient = null;
    return response;
  }

  /**
   * The WebSocket tunnel the exchange became (after its 101) ended: it is logged and counted once,
   * now, with the tunnel's duration and bytes and {@code reason} saying who closed it.
   */
  void tunnelEnded(String reason, long fromClient, long fromUpstream) {
    this.reason = reason;
    bytesIn += fromClient;
    bytesOut += fromUpstream;
    end();
  }

  /** The client connection closed: an exchange still open ends here. */
  void closed() {
    end();
  }

  private static boolean isError(int status, @Nullable String reason) {
    return status >= 500 || (reason != null && reason.startsWith("upstream_"));
  }

  private @Nullable Meter endpointMeter() {
    Endpoint e = endpoint;
    return e == null ? null : e.meter();
  }

  private @Nullable String consumer() {
    FilterExchange x = filters;
    if (x == null || !x.isActive()) return null;
    var c = x.attribute(Attributes.CONSUMER);
    return c == null ? null : c.name();
  }

  private void endAttempt(int st, @Nullable String rsn, long now) {
    if (attemptStart == 0) return;
    long d = now - attemptStart;
    attemptStart = 0;
    lastAttemptNanos = d;
    Meter m = endpointMeter();
    if (METRICS && m != null) m.record(loop, st, rsn, st == 0 || st >= 500 || (rsn != null && rsn.startsWith("upstream_")), bytesIn, bytesOut, d);
    trace.attemptEnded(st, rsn, now);
  }

  private void log(ListenerObservability l, CompiledAccessLog log, int st, @Nullable String rsn, long duration,
      @Nullable String traceId) {
    RequestMessage h = request;
    RuntimeRoute r = route;
    Endpoint e = endpoint;
    long startMillis = System.currentTimeMillis() - duration / 1_000_000;
    AccessLogEntry entry;
    if (h == null) {
      entry = new AccessLogEntry(log, startMillis, l.name(), rejectedClient == null ? "" : rejectedClient, null, null,
          null, null, null, st, rsn, bytesIn, bytesOut, duration, -1, null, null, null, 0, 0, null, null, null, null, -1);
    } else {
      boolean ua = log.format().usesUserAgent();
      boolean id = log.format().usesRequestId();
      entry = new AccessLogEntry(log, startMillis, l.name(), h.clientIp(), h.method(), h.host(), h.path(), h.query(),
          h.protocol(), st, rsn, bytesIn, bytesOut, duration, lastAttemptNanos,
          r == null ? null : r.name(), e == null ? null : e.address(), id ? h.header("x-request-id") : null,
          id ? h.generatedRequestIdHigh() : 0, id ? h.generatedRequestIdLow() : 0, traceId,
          ua ? h.header("user-agent") : null, consumer(), clientCertificate == null ? null : clientCertificate.subject(),
          grpc ? grpcStatus : -1);
    }
    if (!l.writer().offer(entry) && METRICS) l.meter().recordDropped(loop);
  }
}
