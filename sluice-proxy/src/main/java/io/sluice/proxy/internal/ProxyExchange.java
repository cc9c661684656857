package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.sluice.filter.Attributes;
import io.sluice.filter.ClientCertificate;
import io.sluice.filter.LocalResponse;
import io.sluice.proxy.filter.internal.BodyStreamChain;
import io.sluice.proxy.filter.internal.ExchangeHost;
import io.sluice.proxy.filter.internal.FilterChain;
import io.sluice.proxy.filter.internal.FilterExchange;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.message.ResponseMessage;
import io.sluice.proxy.message.UpstreamRequest;
import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.route.split.Colouring;
import io.sluice.proxy.upstream.Endpoint;
import io.sluice.proxy.websocket.TunnelSettings;
import io.sluice.proxy.websocket.TunnelSide;
import io.sluice.proxy.websocket.WebSocketHandshake;
import org.jspecify.annotations.Nullable;

/**
 * One request on its way through the gateway: route → filters → split → attempts → response, and
 * its observation (metrics, access log, trace). The client side is a {@link Downstream} (the
 * protocol's server connection, which frames); the upstream side an {@link UpstreamStream} per
 * attempt (which frames too). Neither calls the other: both talk to the exchange.
 *
 * <p>One instance per client connection, reused for each of its requests (one at a time), so an
 * exchange allocates nothing of its own; {@link #start} begins one, and it ends in one of three
 * ways: a complete upstream response ({@link Downstream#exchangeEnded}), a local one
 * ({@link Downstream#localResponseDone}), or the connection going away ({@link #connectionClosed}).
 *
 * <p>Threading: the connection's event loop only.
 */
final class ProxyExchange implements ExchangeHost, UpstreamStream.Events {
  private final Downstream down;
  private final ListenerRuntime listener;
  private final Observation obs = new Observation();
  /** Breakers, endpoint picks, retries and the route's request timeout. */
  private final UpstreamAttempts attempts = new UpstreamAttempts(this);
  private final Runnable responseFiltered = this::responseFiltered;
  /** The request as it goes upstream, described afresh for each attempt. */
  private final UpstreamRequest upstreamRequest = new UpstreamRequest();

  private @Nullable RequestMessage request;
  private @Nullable RuntimeRoute route;
  private @Nullable UpstreamStream upstream;
  private boolean upstreamNeedsFlush;
  /** The whole body was in memory before the first attempt, so it can be sent again. */
  private boolean bodyBuffered;
  /** The listener's request buffer when the request arrived (0: request buffering is off). */
  private int requestBufferBytes;
  /** The upstream's response head, while it waits for the filters (async, or collecting the body). */
  private @Nullable ResponseMessage responseHead;
  /** The upstream response's body is being read into memory for the filters' body phase; its head waits. */
  private boolean collecting;
  /** The filter runtime, created for the first request whose route has filters. */
  private @Nullable FilterExchange filters;
  /** The current exchange runs {@link #filters}. */
  private boolean filtered;
  /** Streaming body filters ({@link BodyStreams}), created for the first exchange that has them. */
  private @Nullable BodyStreams streams;
  /** The current request's body goes through {@link #streams}. */
  private boolean streamingRequest;
  /** The current response's body goes through {@link #streams}. */
  private boolean streamingResponse;
  /** The current request is a WebSocket handshake the route takes: its key; null otherwise. */
  private @Nullable String websocketKey;
  /** The filters' calls to Upstreams, created at the connection's first. */
  private @Nullable OutboundCalls calls;

  ProxyExchange(Downstream down, ListenerRuntime listener) {
    this.down = down;
    this.listener = listener;
  }

  /** The request of the exchange in progress; calling this between exchanges is a bug. */
  private RequestMessage request() {
    RequestMessage h = request;
    if (h == null) throw new IllegalStateException("no exchange in progress");
    return h;
  }

  /** The route of the exchange in progress, once it goes upstream or runs filters. */
  private RuntimeRoute route() {
    RuntimeRoute r = route;
    if (r == null) throw new IllegalStateException("the exchange has no route");
    return r;
  }

  /** The upstream's response head that waits while its body is collected. */
  private ResponseMessage responseHead() {
    ResponseMessage h = responseHead;
    if (h == null) throw new IllegalStateException("no response head is waiting");
    return h;
  }

  /** The traffic of a route that goes upstream (only a direct-response route has none). */
  private static RouteTraffic traffic(RuntimeRoute r) {
    RouteTraffic t = r.traffic();
    if (t == null) throw new IllegalStateException("route " + r.name() + " has no upstream");
    return t;
  }

  /** The filter runtime, once a route with filters took a request of this connection. */
  private FilterExchange filters() {
    FilterExchange x = filters;
    if (x == null) throw new IllegalStateException("no filters have run on this connection");
    return x;
  }

  // ---- driven by the connection

  /** A request head was read; {@code headStart} is when its first byte arrived. */
  void observeHead(ListenerConfig c, RequestMessage h, long headStart) {
    obs.begin(c, h, headStart);
  }

  /**
   * Starts the exchange of {@code h} (its connection fields set, its framing read by the
   * connection): routes it, then runs its filters or sends it on.
   */
  void start(RequestMessage h, ListenerConfig c) {
    request = h;
    collecting = false;
    responseHead = null;
    bodyBuffered = false;
    requestBufferBytes = c.requestBufferBytes;
    obs.clientCertificate(down.clientCertificate());
    if (h.contentLength() > c.maxBodySize) {
      down.closeAfterResponse();
      respondError(413, "request_body_too_large", "request body larger than " + c.maxBodySize + " bytes");
      return;
    }
    if (h.method().equals("CONNECT")) {
      down.closeAfterResponse();
      respondError(405, "method_not_allowed", "CONNECT is not supported");
      return;
    }
    if (h.viaNames(listener.via.pseudonym)) {
      respondError(508, "loop_detected", "the request has come back to the listener that sent it (Via: 1.1 "
          + listener.via.pseudonym + "): a route's upstream leads back to listener " + listener.name);
      return;
    }
    RuntimeRoute r = h.path().equals("*") ? null : c.routes.match(h);
    obs.route(r);
    if (r == null) {
      respondError(404, "no_route", "no route matches the request");
      return;
    }
    FilterChain chain = r.filters();
    if (chain != null) {
      startFilters(chain, r, c);
      return;
    }
    proceed(h, r);
  }

  /** Sends the request where its route says: the direct response, or the upstream. */
  private void proceed(RequestMessage h, RuntimeRoute r) {
    FilterExchange x = filtered ? filters : null;
    if (x != null && x.bodyLimit() != Long.MAX_VALUE) {
      long max = x.bodyLimit();
      if (h.contentLength() > max || x.bufferedBodyLength() > max) {
        down.closeAfterResponse();
        respondError(413, "request_body_too_large", "request body larger than " + max + " bytes");
        return;
      }
      if (h.contentLength() < 0) down.limitBody(max);
    }
    DirectResponder direct = r.direct();
    if (direct != null) {
      if (h.expectsContinue() && h.hasBody()) down.closeAfterResponse();
      if (x != null && x.hasResponsePhase()) {
        LocalResponse local = direct.local(h);
        if (local != null) {
          x.respondDirect(local);
          return;
        }
      }
      obs.headOut(direct.status(), down.writeDirectResponse(direct, h));
      endLocal();
      return;
    }
    RouteTraffic traffic = traffic(r);
    if (websocketRefused(h, h.protocol().equals("HTTP/1.0"), h.hasBody(), traffic)) return;
    // The colour is set before the split, so that the route's canary rules see it.
    Colouring colour = traffic.colour();
    if (colour != null) h.setHeader(colour);
    this.route = r;
    if (x != null && h.hasBody() && !down.requestComplete()) streamingRequest = streamRequestBody(x, r, h);
    if (down.requestComplete()) {
      // No body, or one a filter already read (it goes out with the head).
      bodyBuffered = h.hasBody();
    } else if (requestBufferBytes > 0 && !io.sluice.proxy.grpc.GrpcStatus.isGrpc(h)) {
      // (A gRPC call's messages stream both ways: buffering its request could wait for a reply.)
      // Request buffering: the body comes in before an upstream connection is taken.
      down.prebuffer();
      return;
    }
    startUpstream(h, r);
  }

  // ---- WebSocket (io.sluice.proxy.websocket): the handshake is checked here, the tunnel starts at the 101

  /**
   * Checks a WebSocket handshake on a route that allows them before anything goes upstream, and
   * answers a bad one (400, or 426 for a version other than 13); true when it was refused. For any
   * other request this is one header lookup.
   */
  private boolean websocketRefused(RequestView h, boolean http10, boolean hasBody, RouteTraffic traffic) {
    websocketKey = null;
    if (traffic.websocket() == null || !WebSocketHandshake.requested(h)) return false;
    WebSocketHandshake.Refusal refusal = WebSocketHandshake.check(h, http10, hasBody);
    if (refusal == null) {
      websocketKey = h.header("sec-websocket-key");
      return false;
    }
    down.closeAfterResponse();
    String reason = refusal.status() == 426 ? "websocket_version" : "websocket_handshake";
    obs.reason(reason);
    obs.headOut(refusal.status(), down.writeUpgradeRefusal(refusal.status(), reason, refusal.message()));
    endLocal();
    return true;
  }

  @Override
  public void onSwitchingProtocols(TunnelSide connection, @Nullable String upgrade, @Nullable String accept,
      ByteBuf head) {
    String key = websocketKey;
    RuntimeRoute r = route;
    RouteTraffic traffic = r == null ? null : r.traffic();
    TunnelSettings settings = traffic == null ? null : traffic.websocket();
    websocketKey = null;
    upstream = null;
    String problem = key == null || r == null || settings == null ? "101 to a request that was not a WebSocket handshake"
        : WebSocketHandshake.checkResponse(key, upgrade, accept);
    if (problem != null || r == null || settings == null || down.isClosed()) {
      head.release();
      ByteBuf rest = connection.received();
      if (rest != null) rest.release();
      connection.handler().channel().close();
      if (problem != null) upstreamFailed(FailureKind.PROTOCOL_ERROR, problem, false);
      return;
    }
    attempts.responded(101);
    attempts.complete();
    down.write(obs.out(WebSocketHandshake.withUpgradeFields(head)));
    down.flush();
    endFilters();
    ListenerConfig c = listener.config();
    java.time.Duration grace = c == null ? java.time.Duration.ZERO : c.spec.timeouts().drain();
    listener.tunnels().open(listener.name, r.name(), settings, grace, down.switchProtocols(), connection,
        (by, fromClient, fromUpstream) -> {
          obs.tunnelEnded(by.reason, fromClient, fromUpstream);
          request = null;
          route = null;
        });
  }

  /** Request buffering is over: the body is in memory ({@code whole}), or filled the buffer and streams from here. */
  void prebuffered(boolean whole) {
    bodyBuffered = whole;
    startUpstream(request(), route());
  }

  /** The route's split picks the upstream and the first attempt starts. */
  private void startUpstream(RequestMessage h, RuntimeRoute r) {
    RouteTraffic traffic = traffic(r);
    UpstreamRuntime u = traffic.split().pick(h);
    attempts.begin(u, traffic, h, bodyBuffered);
    attempts.next();
  }

  // ---- the request body, as the connection reads it

  /** The upstream stream that takes the request body now, or null (connecting, or between attempts). */
  @Nullable UpstreamStream bodyTarget() {
    UpstreamStream up = upstream;
    return up != null && up.isReady() ? up : null;
  }

  /** Body bytes {@code in[from, from + length)} go to the upstream (the caller keeps its buffer). */
  void forwardBody(UpstreamStream up, ByteBuf in, int from, int length) {
    if (streamingRequest) {
      streams().requestData(in, from, length);
      obs.bytesIn(length);
      return;
    }
    up.write(in.retainedSlice(from, length));
    attempts.bodyForwarded(in, from, length);
    obs.bytesIn(length);
    upstreamNeedsFlush = true;
  }

  /** The whole request body has gone to {@code up}. */
  void bodyForwarded(UpstreamStream up) {
    if (streamingRequest) streams().requestEnd();
    flushUpstream();
    attempts.requestReceived();
    up.requestSent();
  }

  void flushUpstream() {
    if (upstreamNeedsFlush) {
      upstreamNeedsFlush = false;
      UpstreamStream up = upstream;
      if (up != null) up.flush();
    }
  }

  /** Body bytes read and dropped, or otherwise received, for the metrics. */
  void bytesIn(long n) {
    obs.bytesIn(n);
  }

  /** A piece of the body a filter reads. */
  void filterBody(ByteBuf buf, int from, int length) {
    filters().appendBody(buf, from, length);
  }

  /** The body a filter reads is complete: the filters go on. */
  void filterBodyDone() {
    filters().requestBodyBuffered();
  }

  /** The client stopped sending its body (the listener's idle timeout). */
  void clientBodyTimedOut() {
    UpstreamStream up = upstream;
    if (up != null) up.abort();
    upstreamFailed(FailureKind.CLIENT_BODY_TIMEOUT, "request body not received within the idle timeout", false);
  }

  /** The client can take more response bytes again. */
  void clientWritableAgain() {
    UpstreamStream up = upstream;
    if (up != null) up.resumeReading();
  }

  /** The client side abandoned the request (half-closed mid-request, or sent a malformed one): the attempt is dropped. */
  void cancel() {
    UpstreamStream up = upstream;
    if (up != null) {
      upstream = null;
      up.abort();
    }
    attempts.cancel();
  }

  /** The request is refused as malformed (or its head timed out); returns {@code response} for writing. */
  ByteBuf rejected(@Nullable ListenerConfig c, String clientIp, String reason, ByteBuf response) {
    cancel();
    endFilters();
    return obs.rejected(c, clientIp, reason, response);
  }

  /** The request was refused as malformed and its connection wrote the answer ({@code bytes} of {@code status}). */
  void rejectedStream(@Nullable ListenerConfig c, String clientIp, String reason, int status, int bytes) {
    cancel();
    endFilters();
    obs.rejected(c, clientIp, reason, status, bytes);
  }

  /** The client connection closed: an exchange in progress ends here. */
  void connectionClosed() {
    obs.closed();
    cancel();
    endFilters();
  }

  // ---- attempts (called by UpstreamAttempts)

  /** An attempt (the first, or a retry) is about to go to {@code e} of {@code u}. */
  void attemptEndpoint(UpstreamRuntime u, Endpoint e) {
    obs.endpoint(u, e);
  }

  /**
   * Opens the upstream stream of an attempt at {@code e} of {@code u}: a pooled connection, or a new
   * one when {@code fresh} (the keep-alive race was lost on a pooled one). Takes ownership of
   * {@code head} unless null is returned (the endpoint's connection limit is reached).
   */
  @Nullable UpstreamStream openStream(UpstreamRuntime u, Endpoint e, ByteBuf head, boolean fresh) {
    RequestMessage h = request();
    boolean replayable = bodyBuffered || !h.hasBody();
    long timeout = attempts.responseTimeoutNanos(u);
    // What is left of a gRPC call's deadline, capped by the route's (or upstream's) timeout.
    long grpcTimeout = attempts.callRemainingNanos();
    if (grpcTimeout > 0 && grpcTimeout < timeout) timeout = grpcTimeout;
    boolean complete = down.requestComplete();
    if (u.http2 && !LoopThread.current().context().h2().speaksHttp1(e, u.auto)) {
      return H2UpstreamStream.open(this, down.eventLoop(), u, e, head, complete, replayable, H2Requests.teTrailers(h),
          timeout, listener.unexpectedErrors());
    }
    UpstreamConnection c = fresh
        ? UpstreamConnection.open(this, down.eventLoop(), u, e, head, h.method(), complete, replayable, timeout,
            listener.unexpectedErrors())
        : UpstreamConnection.acquire(this, down.eventLoop(), u, e, head, h.method(), complete, replayable, timeout,
            listener.unexpectedErrors());
    if (c != null && websocketKey != null) c.expectUpgrade();
    return c;
  }

  /** The exchange goes on with {@code up}: its first attempt, or a retry. */
  void attach(UpstreamStream up) {
    upstream = up;
    obs.acquired(up.isReady());
    down.streamBodyTo(up);
    if (up.isReady()) onReady();
  }

  /** A retry waits out its backoff: no upstream meanwhile, and the rest of the body waits in the socket. */
  void awaitRetry() {
    upstream = null;
    down.holdBody();
  }

  /** The exchange ends with the gateway's error before an attempt could start (or the next one, for a retry). */
  void failExchange(FailureKind kind, String message) {
    upstream = null;
    if (down.isClosed()) return;
    if (down.responseStarted()) {
      down.abortConnection();
      return;
    }
    // After an attempt the upstream may have seen part of the request: start afresh on a new connection.
    if (down.pastDispatch()) down.closeAfterResponse();
    respondError(kind.status(), kind.reason(), message);
  }

  /** The route's request timeout passed before a response head: the attempt in progress is abandoned. */
  void requestTimedOut(FailureKind kind, String message) {
    UpstreamStream up = upstream;
    if (up != null) {
      upstream = null;
      up.abort();
    }
    failExchange(kind, message);
  }

  boolean responseStarted() {
    return down.responseStarted();
  }

  ByteBufAllocator alloc() {
    return down.alloc();
  }

  EventLoop eventLoop() {
    return down.eventLoop();
  }

  /**
   * The current request as the upstream gets it, encoded by the upstream's codec, with the trace's
   * headers for this attempt and the buffered body, if any; the caller owns the buffer.
   */
  ByteBuf encodeUpstreamRequest() {
    RequestMessage h = request();
    RuntimeRoute r = route();
    String path = r.stripPrefix() == null ? null : r.rewritePath(h.path());
    UpstreamRequest u = upstreamRequest.reset(h, path, r.hostRewrite(), listener.via.line);
    ByteBuf body = filtered ? filters().describeUpstreamRequest(u) : null;
    if (streamingRequest) u.bodyStreamed();
    // The handshake's Connection and Upgrade fields are hop-by-hop: the gateway sends its own.
    if (websocketKey != null) u.upgrade(WebSocketHandshake.PROTOCOL);
    ByteBuf encoded = UpstreamConnection.encodeHead(down.alloc(), u);
    long callRemaining = attempts.callRemainingNanos();
    // A gRPC call's attempt tells the upstream the time left of the whole call, not the client's timeout.
    if (callRemaining > 0) encoded = io.sluice.proxy.grpc.GrpcTimeoutHead.withTimeout(encoded, callRemaining, down.alloc());
    ByteBuf head = obs.attemptStarted(encoded, down.alloc());
    if (body == null) return head;
    return down.alloc().compositeBuffer(2).addComponents(true, head, body);
  }

  // ---- filters (ExchangeHost): called by the FilterExchange

  @Override
  public io.sluice.filter.UpstreamCalls upstreamCalls() {
    OutboundCalls c = calls;
    if (c == null) {
      c = new OutboundCalls(listener, down.eventLoop(), down.alloc(), () -> request == null ? "" : request.clientIp());
      calls = c;
    }
    return c;
  }

  private void startFilters(FilterChain chain, RuntimeRoute r, ListenerConfig c) {
    FilterExchange x = filters;
    if (x == null) {
      x = new FilterExchange(this, down.alloc(), down.eventLoop());
      filters = x;
    }
    this.route = r;
    filtered = true;
    down.awaitFilters();
    obs.filters(x);
    ClientCertificate cert = down.clientCertificate();
    if (cert != null) x.setAttribute(Attributes.CLIENT_CERTIFICATE, cert);
    x.start(chain, request(), r.name(), c.name, r.hostRewrite(), c.filterTimeout);
  }

  /** The filter runtime of the current exchange, or null when its route has no filters. */
  private @Nullable FilterExchange filtersInUse() {
    return filtered ? filters : null;
  }

  private void endFilters() {
    BodyStreams s = streams;
    if (s != null && (streamingRequest || streamingResponse)) s.reset();
    streamingRequest = false;
    streamingResponse = false;
    FilterExchange x = filters;
    if (filtered && x != null) {
      filtered = false;
      x.end();
    }
  }

  @Override
  public void requestPhaseDone() {
    proceed(request(), route());
  }

  @Override
  public void bufferRequestBody() {
    down.readBodyForFilters();
  }

  @Override
  public void writeLocalResponse(LocalResponse response, HeaderEdits edits, boolean close) {
    String reason = response.header("X-Sluice-Reason");
    if (reason != null) obs.reason(reason);
    RequestMessage h = request;
    if (response.status() != 200 && h != null && io.sluice.proxy.grpc.GrpcStatus.isGrpc(h)) {
      // A filter's refusal (401, 403, 429, ...) of a gRPC call, as a gRPC status.
      String why = reason == null ? "filter" : reason;
      response = io.sluice.proxy.grpc.GrpcStatus.trailersOnly(response.status(), why, why, response);
    }
    obs.grpcStatus(response.header("grpc-status"));
    obs.headOut(response.status(), down.writeLocalResponse(response, edits, close));
    endLocal();
  }

  @Override
  public void filterFailed(String filter, Throwable error) {
    listener.unexpectedErrors().record(UnexpectedErrors.Where.FILTER, "filter " + filter, error);
  }

  @Override
  public void resumed() {
    down.resume();
  }

  // ---- the upstream stream (UpstreamStream.Events)

  @Override
  public void onReady() {
    obs.connected();
    down.bodyTargetReady();
  }

  @Override
  public void onWritable() {
    down.bodyTargetWritable();
  }

  @Override
  public boolean clientWritable() {
    return down.isWritable();
  }

  @Override
  public int onResponseHead(ResponseMessage head) {
    String grpcStatus = obs.grpc() ? head.header("grpc-status") : null;
    obs.grpcStatus(grpcStatus);
    if (attempts.responded(head.status(), io.sluice.proxy.grpc.GrpcStatus.parse(grpcStatus))) {
      // Retried elsewhere: this response is dropped unread, with its connection.
      return UpstreamStream.DROP;
    }
    FilterExchange x = filtersInUse();
    if (x != null) {
      switch (x.filterUpstreamResponse(head, responseFiltered)) {
        case FilterExchange.RESPONSE_PENDING -> {
          // Nothing of the response moves until the filters are done; the body waits in the socket.
          responseHead = head;
          return UpstreamStream.WAIT;
        }
        case FilterExchange.RESPONSE_REPLACED -> {
          replaceResponse();
          return UpstreamStream.DROP;
        }
        default -> {}
      }
    }
    return startResponse(head, x);
  }

  /** The response filters finished after waiting: the head goes out (or the filters' response), then the body. */
  private void responseFiltered() {
    UpstreamStream up = upstream;
    ResponseMessage head = responseHead;
    FilterExchange x = filtersInUse();
    if (up == null || head == null || x == null || down.isClosed()) return;
    if (x.responseReplaced()) {
      replaceResponse();
      return;
    }
    up.proceed(startResponse(head, x));
  }

  /** A response filter answered instead of the upstream: the upstream's response is dropped with its connection. */
  private void replaceResponse() {
    UpstreamStream up = upstream;
    upstream = null;
    responseHead = null;
    if (up != null) up.abort();
    attempts.complete();
    filters().writeReplacement();
  }

  /**
   * Writes the upstream's response head to the client (with the filters' edits), or, when a filter
   * reads the body, holds it while the body is collected. Returns how the stream delivers the body.
   */
  private int startResponse(ResponseMessage head, @Nullable FilterExchange x) {
    int status = head.status();
    boolean noBody = request().method().equals("HEAD") || status == 204 || status == 304;
    if (!noBody && x != null && head.bodyLength() != 0 && streamResponseBody(x, head)) {
      // The head waits in the body streams for the first bytes the filters let through; chunks
      // come framed, so that their trailers reach the filters.
      return head.bodyChunked() ? UpstreamStream.BODY_FRAMED : UpstreamStream.BODY_DECODED;
    }
    if (!noBody && x != null && x.collectResponseBody(head.bodyLength())) {
      // A filter reads the body: the head waits until it is in (or over the limit).
      responseHead = head;
      collecting = true;
      return UpstreamStream.BODY_DECODED;
    }
    responseHead = null;
    writeResponseHead(x == null ? head : x.headToWrite(head), x == null ? null : x.responseEdits(), noBody, Downstream.BODY_AS_RECEIVED);
    return down.responseBodyFramed() ? UpstreamStream.BODY_FRAMED : UpstreamStream.BODY_DECODED;
  }

  private void writeResponseHead(ResponseMessage head, @Nullable HeaderEdits edits, boolean noBody, long bodyLength) {
    obs.headOut(head.status(), down.writeResponseHead(head, edits, noBody, bodyLength));
  }

  @Override
  public void onResponseData(ByteBuf data) {
    if (streamingResponse) {
      streamedResponseData(data);
      return;
    }
    if (!collecting) {
      down.write(obs.out(data));
      return;
    }
    FilterExchange x = filters();
    if (x.appendResponseBody(data, data.readerIndex(), data.readableBytes())) {
      data.release();
      return;
    }
    // Over the limit: the head goes out as the filters left it, then what was read, then the rest
    // as it comes, without the upstream's framing.
    collecting = false;
    ResponseMessage head = responseHead();
    responseHead = null;
    writeResponseHead(x.headToWrite(head), x.responseEdits(), false, Downstream.BODY_UNTIL_END);
    ByteBuf sofar = x.takeResponseBody();
    if (sofar != null) down.write(obs.out(sofar));
    down.write(obs.out(data));
  }

  @Override
  public void onResponseTrailers(io.sluice.proxy.message.Trailers trailers) {
    obs.grpcStatus(trailers.get("grpc-status"));
    // A body the filters collect or stream is re-framed by them; their trailers are their own.
    if (!streamingResponse && !collecting && !trailers.isEmpty()) down.writeTrailers(trailers);
  }

  @Override
  public void onResponseFlush() {
    down.flush();
  }

  @Override
  public void onResponseEnd() {
    upstream = null;
    if (streamingResponse && !streamedResponseEnd()) return;
    if (collecting) {
      collecting = false;
      // The collected body is complete: the filters' body phase, then the head with its Content-Length and the body.
      FilterExchange x = filters();
      if (x.filterResponseBody()) {
        responseHead = null;
        attempts.complete();
        x.writeReplacement();
        return;
      }
      ResponseMessage head = responseHead();
      responseHead = null;
      ByteBuf body = x.takeResponseBody();
      int length = body == null ? 0 : body.readableBytes();
      writeResponseHead(x.headToWrite(head), x.responseEditsWithLength(length), false, length);
      if (body != null) down.write(obs.out(body));
    }
    down.flush();
    attempts.complete();
    obs.end();
    endFilters();
    request = null;
    route = null;
    down.exchangeEnded();
  }

  @Override
  public void onFailure(FailureKind kind, String message, boolean staleReuse) {
    upstreamFailed(kind, message, staleReuse);
  }

  /**
   * The upstream failed. Before any response byte went out the client gets the gateway's error;
   * after, the response cannot be completed and the connection is closed.
   *
   * @param staleReuse a reused connection lost the keep-alive race and the request can go again
   *     (see {@link UpstreamConnection}): the attempt goes on on a new connection if it can
   *     ({@link UpstreamAttempts#reconnect}), and only otherwise is this a failure
   */
  private void upstreamFailed(FailureKind kind, String message, boolean staleReuse) {
    upstream = null;
    boolean closed = down.isClosed();
    // The new connection's attempt ends this one in the metrics, and the exchange has no failure.
    if (staleReuse && !closed && attempts.reconnect()) return;
    obs.upstreamFailed(kind);
    if (closed) return;
    // A retry goes on with another attempt; otherwise the failure is the client's answer.
    if (attempts.failed(kind)) return;
    attempts.complete();
    if (down.responseStarted()) {
      down.abortConnection();
      return;
    }
    down.closeAfterResponse();
    respondError(kind.status(), kind.reason(), message);
  }

  // ---- streaming body filters (BodyStreams): the hook points of the body paths above

  private BodyStreams streams() {
    BodyStreams s = streams;
    if (s == null) streams = s = new BodyStreams(this, down);
    return s;
  }

  /**
   * Whether a visited filter streams the request body; the upstream then gets it chunked. Request
   * buffering still applies: {@link BodyStreams} decodes the received bytes itself, and what the
   * filters let through is what the replay buffer keeps.
   */
  private boolean streamRequestBody(FilterExchange x, RuntimeRoute r, RequestMessage h) {
    FilterChain chain = r.filters();
    return chain != null && chain.streamsRequestBody() && streams().beginRequest(x, h.bodyChunked());
  }

  /** Whether a visited filter streams the response body; the head then waits in {@link #streams}. */
  private boolean streamResponseBody(FilterExchange x, ResponseMessage head) {
    RuntimeRoute r = route;
    FilterChain chain = r == null ? null : r.filters();
    if (chain == null || !chain.streamsResponseBody() || !streams().beginResponse(x, head)) return false;
    streamingResponse = true;
    responseHead = null;
    return true;
  }

  /** Streamed request body bytes (framed) go to the upstream, and to the replay buffer for a retry. */
  void sendStreamedBody(ByteBuf framed) {
    UpstreamStream up = upstream;
    if (up == null) {
      framed.release();
      return;
    }
    attempts.bodyForwarded(framed, framed.readerIndex(), framed.readableBytes());
    up.write(framed);
    upstreamNeedsFlush = true;
  }

  /** The client's connection wrote the streamed response's head ({@code bytes} on the wire). */
  void streamedHeadWritten(int status, int bytes) {
    obs.headOut(status, bytes);
  }

  /** Streamed response bytes (framed body) go to the client. */
  void writeStreamedResponse(ByteBuf out) {
    down.write(obs.out(out));
  }

  private void streamedResponseData(ByteBuf data) {
    try {
      streams().responseData(data);
    } catch (BodyStreamChain.Failure f) {
      responseStreamFailed(f);
    }
  }

  /** The streamed response's end; false when a filter failed there (the exchange has ended). */
  private boolean streamedResponseEnd() {
    try {
      streams().responseEnd();
      return true;
    } catch (BodyStreamChain.Failure f) {
      responseStreamFailed(f);
      return false;
    }
  }

  /**
   * A response streaming filter failed or held too much: the upstream's response is dropped with
   * its connection; the client gets 500 {@code filter_error} (502 {@code response_body_too_large})
   * if nothing of the response went out, else its connection closes.
   */
  private void responseStreamFailed(BodyStreamChain.Failure f) {
    if (!f.overflow) filterFailed(f.where, f.getCause() != null ? f.getCause() : f);
    boolean headPending = streams().responseHeadPending();
    UpstreamStream up = upstream;
    upstream = null;
    if (up != null) up.abort();
    attempts.complete();
    if (!headPending || down.responseStarted()) {
      obs.reason(f.overflow ? "response_body_too_large" : "filter_error");
      // What the filters let through before goes out; the missing end tells the client the body is cut short.
      down.flush();
      down.abortConnection();
      return;
    }
    down.closeAfterResponse();
    if (f.overflow) {
      respondError(502, "response_body_too_large", f.getMessage());
    } else {
      respondError(500, "filter_error", "filter " + f.where + " failed");
    }
  }

  // ---- local answers

  private void respondError(int status, String reason, String message) {
    obs.reason(reason);
    RequestMessage h = request;
    if (h != null && io.sluice.proxy.grpc.GrpcStatus.isGrpc(h)) {
      // A gRPC client reads the gateway's answer in grpc-status, not in the HTTP status.
      LocalResponse r = io.sluice.proxy.grpc.GrpcStatus.trailersOnly(status, reason, message, null);
      obs.grpcStatus(r.header("grpc-status"));
      obs.headOut(r.status(), down.writeLocalResponse(r, new HeaderEdits(), false));
    } else {
      obs.headOut(status, down.writeError(status, reason, message));
    }
    endLocal();
  }

  /** A local response has been written: the exchange ends. */
  private void endLocal() {
    obs.end();
    endFilters();
    attempts.complete();
    down.localResponseDone();
  }
}
