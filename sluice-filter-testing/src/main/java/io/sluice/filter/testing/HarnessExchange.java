package io.sluice.filter.testing;

import io.sluice.api.codec.Durations;
import io.sluice.filter.Attribute;
import io.sluice.filter.Body;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterResult;
import io.sluice.filter.HeaderRules;
import io.sluice.filter.Headers;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import io.sluice.filter.Response;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import io.sluice.filter.UpstreamCalls;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Exchange} a filter sees in the harness: one request and its response, run through one
 * filter with the rules of the gateway's filter runtime (sluice-proxy's {@code FilterExchange} and
 * the connection that drives it), for a chain of that one filter. Keep the two in step: a rule
 * changed there changes here.
 *
 * <p>Threading: every method that changes state runs on {@code loop}, the single thread that stands
 * in for the event loop; {@link TestExchange} reads the state from the test's thread only after
 * the phase has settled ({@link #settled}, a happens-before edge).
 */
final class HarnessExchange implements Exchange {
  private enum Phase { REQUEST, SENT, RESPONSE, ENDING, ENDED }

  private final Filter filter;
  private final UpstreamCalls upstreams;
  private final String where;
  private final String route;
  private final String listener;
  private final ScheduledExecutorService loop;
  private final Duration asyncTimeout;
  private final TestRequest request;
  private final List<HeaderField> received;
  private final boolean[] receivedHopByHop;
  private final long requestBodyLimit;
  private final long responseBodyLimit;
  private final long requestStreamLimit;
  private final long responseStreamLimit;
  /** What came out of the streaming hook, per direction, or null when the body was not streamed. */
  private @Nullable HarnessBodyStream requestStream;
  private @Nullable HarnessBodyStream responseStream;
  /** A streamed response failed after its head and first bytes went out: the client connection closes. */
  private boolean responseCutShort;

  private final RequestView requestView = new RequestView();
  private final ResponseView responseView = new ResponseView();
  private final RequestHeaders requestHeaders = new RequestHeaders();
  private final ResponseHeaders responseHeaders = new ResponseHeaders();
  private final FieldEdits requestEdits = new FieldEdits();
  private final FieldEdits responseEdits = new FieldEdits();
  private final List<Throwable> failures = new ArrayList<>();

  private @Nullable Object[] attributes = new Object[8];
  private Phase phase = Phase.REQUEST;
  private boolean visited;
  private @Nullable FilterResult result;

  private @Nullable String method;
  private @Nullable String path;
  private @Nullable String query;
  private boolean querySet;
  private @Nullable String authority;
  private byte @Nullable [] body;
  private boolean bodyBuffered;
  private boolean bodyReplaced;
  private long bodyLimit = Long.MAX_VALUE;
  private @Nullable UpstreamRequest upstreamRequest;

  private @Nullable TestResponse upstream;
  /** A filter's {@link Response#setStatus}, or 0. */
  private int statusOverride;
  private List<HeaderField> upstreamFields = List.of();
  private boolean[] upstreamHopByHop = new boolean[0];
  private @Nullable LocalResponse local;
  /** Whether the filter sees the response: not the one it answered with itself, nor a 413 before it ran. */
  private boolean responseVisible;
  private boolean responseRan;
  private boolean fromUpstream;
  private byte @Nullable [] responseBody;
  private boolean inResponseBodyPhase;
  private boolean responseBodyReplaced;
  private boolean responseBodyDone;
  private @Nullable ClientResponse clientResponse;

  private int awaiting;
  private @Nullable ScheduledFuture<?> asyncTimer;
  private CompletableFuture<Void> settled = new CompletableFuture<>();

  HarnessExchange(Filter filter, String where, String route, String listener, ScheduledExecutorService loop,
      Duration asyncTimeout, TestRequest request, List<Preset<?>> presets, UpstreamCalls upstreams) {
    this.upstreams = upstreams;
    this.filter = filter;
    this.where = where;
    this.route = route;
    this.listener = listener;
    this.loop = loop;
    this.asyncTimeout = asyncTimeout;
    this.request = request;
    List<HeaderField> fields = new ArrayList<>(request.headers());
    byte[] b = request.bodyBytes();
    if (b != null) fields.add(new HeaderField("Content-Length", Integer.toString(b.length)));
    this.received = List.copyOf(fields);
    this.receivedHopByHop = Fields.hopByHop(received);
    // Read once, as the runtime reads them when it compiles a chain.
    this.requestBodyLimit = filter.bufferRequestBody();
    this.responseBodyLimit = filter.bufferResponseBody();
    this.requestStreamLimit = filter.streamRequestBody();
    this.responseStreamLimit = filter.streamResponseBody();
    if (requestBodyLimit > 0 && requestStreamLimit > 0) {
      throw new IllegalArgumentException(where + ": declares both bufferRequestBody() and streamRequestBody();"
          + " a filter either buffers the request body or streams it");
    }
    if (responseBodyLimit > 0 && responseStreamLimit > 0) {
      throw new IllegalArgumentException(where + ": declares both bufferResponseBody() and streamResponseBody();"
          + " a filter either buffers the response body or streams it");
    }
    for (Preset<?> p : presets) p.applyTo(this);
  }

  /** An attribute set before the filter runs, as an earlier filter of the chain would have. */
  record Preset<T>(Attribute<T> key, T value) {
    void applyTo(Exchange exchange) {
      exchange.setAttribute(key, value);
    }
  }

  // ---- driven by TestExchange, on the loop

  /** The phase in progress settles: the request phase ended, or the exchange did. */
  CompletableFuture<Void> settled() {
    return settled;
  }

  void startRequest() {
    if (requestBodyLimit > 0) {
      byte[] b = request.bodyBytes();
      if (b == null || b.length == 0) {
        body = new byte[0];
      } else {
        long limit = Math.min(requestBodyLimit, bodyLimit);
        if (b.length > limit) {
          // Refused before the filter runs: it is not visited, so it gets no phase at all.
          respond(LocalResponse.error(413, "request_body_too_large", "request body larger than " + limit + " bytes"), false);
          return;
        }
        body = b.clone();
      }
      bodyBuffered = true;
    }
    visited = true;
    FilterResult r;
    try {
      r = filter.onRequest(this);
    } catch (RuntimeException e) {
      failed(e);
      return;
    }
    applyRequest(r);
  }

  void upstreamResponds(TestResponse response) {
    if (phase != Phase.SENT) throw new IllegalStateException("the request did not go upstream: the exchange is " + state());
    settled = new CompletableFuture<>();
    upstream = response;
    List<HeaderField> fields = new ArrayList<>(response.headers());
    if (response.status() != 204 && response.status() != 304) {
      fields.add(new HeaderField("Content-Length", Integer.toString(response.bodyBytes().length)));
    }
    upstreamFields = List.copyOf(fields);
    upstreamHopByHop = Fields.hopByHop(upstreamFields);
    responseVisible = visited;
    fromUpstream = true;
    phase = Phase.RESPONSE;
    local = null;
    responseEdits.clear();
    if (runResponse()) upstreamResponsePhaseDone();
  }

  /** The exchange ends without a response (the client went away, the upstream failed). */
  void abort() {
    if (phase == Phase.ENDING || phase == Phase.ENDED) return;
    end();
  }

  String state() {
    return switch (phase) {
      case REQUEST -> "in its request phase";
      case SENT -> "waiting for the upstream's response";
      case RESPONSE -> "in its response phase";
      case ENDING, ENDED -> "over";
    };
  }

  boolean answered() {
    return clientResponse != null && upstreamRequest == null;
  }

  @Nullable FilterResult result() {
    return result;
  }

  @Nullable UpstreamRequest upstreamRequest() {
    return upstreamRequest;
  }

  @Nullable ClientResponse clientResponse() {
    return clientResponse;
  }

  boolean ended() {
    return phase == Phase.ENDED;
  }

  List<Throwable> failures() {
    return List.copyOf(failures);
  }

  // ---- the request phase

  private void applyRequest(@Nullable FilterResult r) {
    if (r == null) {
      failed(new NullPointerException("onRequest returned null"));
      return;
    }
    CompletionStage<FilterResult> stage = r.stage();
    if (stage != null) {
      awaitRequest(stage);
      return;
    }
    result = r;
    LocalResponse response = r.response();
    if (response != null) {
      // The filter that answers does not see its own response.
      respond(response, false);
      return;
    }
    // CONTINUE, or a named result: without a jump for it (a chain of one has none), the flow goes on.
    requestPhaseDone();
  }

  private void awaitRequest(CompletionStage<FilterResult> stage) {
    int wait = startWaiting();
    stage.whenComplete((r, error) -> onLoop(() -> {
      if (phase != Phase.REQUEST || !endWaiting(wait)) return;
      if (error != null) {
        failed(error);
      } else {
        applyRequest(r);
      }
    }));
  }

  private void requestPhaseDone() {
    phase = Phase.SENT;
    byte[] sent = request.bodyBytes();
    if (body != null && (bodyReplaced || request.bodyBytes() != null && request.bodyBytes().length > 0)) sent = body;
    // The connection checks the declared and the buffered body against Request.limitBodySize
    // before anything goes upstream.
    byte[] declared = request.bodyBytes();
    byte[] held = body;
    if (bodyLimit != Long.MAX_VALUE && ((declared != null && declared.length > bodyLimit) || (held != null && held.length > bodyLimit))) {
      clientResponse = gatewayError(413, "request_body_too_large", "request body larger than " + bodyLimit + " bytes");
      end();
      return;
    }
    boolean streamed = false;
    if (visited && requestStreamLimit > 0 && sent != null && sent.length > 0) {
      // The body streams through the filter after the request phase; what comes out goes upstream chunked.
      HarnessBodyStream stream = new HarnessBodyStream(filter, this, false, requestStreamLimit, where, request.trailers());
      requestStream = stream;
      try {
        stream.run(request.bodyPieces());
      } catch (HarnessBodyStream.Overflow e) {
        clientResponse = gatewayError(413, "request_body_too_large", e.getMessage());
        end();
        return;
      } catch (RuntimeException e) {
        failures.add(e);
        clientResponse = gatewayError(500, "filter_error", "filter " + where + " failed");
        end();
        return;
      }
      sent = stream.body();
      streamed = true;
    }
    List<HeaderField> fields = new ArrayList<>();
    fields.add(new HeaderField("Host", requestView.authority()));
    for (int i = 0; i < received.size(); i++) {
      HeaderField f = received.get(i);
      String lower = f.name().toLowerCase(Locale.ROOT);
      if (receivedHopByHop[i] || lower.equals("content-length") || requestEdits.isRemoved(lower)) continue;
      fields.add(f);
    }
    fields.addAll(requestEdits.added());
    if (streamed) {
      fields.add(new HeaderField("Transfer-Encoding", "chunked"));
    } else if (sent != null) {
      fields.add(new HeaderField("Content-Length", Integer.toString(sent.length)));
    }
    upstreamRequest = new UpstreamRequest(requestView.method(), requestView.path(), requestView.query(), requestView.authority(),
        fields, sent == null ? null : sent.clone());
    settled.complete(null);
  }

  private void failed(Throwable e) {
    failures.add(e);
    respond(LocalResponse.error(500, "filter_error", "filter " + where + " failed"), false);
  }

  /** An error the connection makes itself, outside the filters (no response phase). */
  private ClientResponse gatewayError(int status, String reason, String message) {
    LocalResponse e = LocalResponse.error(status, reason, message);
    List<HeaderField> fields = new ArrayList<>();
    for (int i = 0; i < e.headerCount(); i++) fields.add(new HeaderField(e.headerName(i), e.headerValue(i)));
    fields.add(new HeaderField("Content-Length", Integer.toString(e.body().length)));
    return new ClientResponse(status, fields, isHead() ? new byte[0] : e.body(), true);
  }

  // ---- the response phase

  /** Answers with a local response, through the filter's response phase when it may see it. */
  private void respond(LocalResponse response, boolean visible) {
    phase = Phase.RESPONSE;
    local = response;
    upstream = null;
    responseEdits.clear();
    responseVisible = visible;
    fromUpstream = false;
    if (runResponse()) finishLocal();
  }

  /** Runs the filter's response phase once; false when it went async. */
  private boolean runResponse() {
    if (!responseVisible || responseRan) return true;
    responseRan = true;
    FilterResult r;
    try {
      r = filter.onResponse(this);
    } catch (RuntimeException e) {
      responseFailed(e);
      return true;
    }
    return applyResponse(r);
  }

  private boolean applyResponse(@Nullable FilterResult r) {
    if (r == FilterResult.CONTINUE) return true;
    if (r == null) {
      responseFailed(new NullPointerException("onResponse returned null"));
      return true;
    }
    CompletionStage<FilterResult> stage = r.stage();
    if (stage != null) {
      awaitResponse(stage);
      return false;
    }
    LocalResponse response = r.response();
    if (response != null) replace(response);
    return true;
  }

  private void awaitResponse(CompletionStage<FilterResult> stage) {
    int wait = startWaiting();
    stage.whenComplete((r, error) -> onLoop(() -> {
      if (phase != Phase.RESPONSE || !endWaiting(wait)) return;
      if (error != null) {
        responseFailed(error);
      } else if (!applyResponse(r)) {
        return;
      }
      continueResponse();
    }));
  }

  private void continueResponse() {
    if (!runResponse()) return;
    if (fromUpstream) {
      upstreamResponsePhaseDone();
    } else {
      finishLocal();
    }
  }

  private void upstreamResponsePhaseDone() {
    if (local != null) {
      finishLocal();
      return;
    }
    TestResponse up = Objects.requireNonNull(upstream, "upstream");
    byte[] upBody = up.bodyBytes();
    boolean bodiless = isHead() || up.status() == 204 || up.status() == 304;
    long limit = responseVisible ? responseBodyLimit : 0;
    if (!bodiless && limit > 0 && upBody.length <= limit) {
      responseBody = upBody.clone();
      runResponseBody();
      if (local != null) {
        finishLocal();
        return;
      }
      byte[] b = responseBody;
      clientResponse = new ClientResponse(statusOverride != 0 ? statusOverride : up.status(), upstreamFieldsForClient(b.length), b, false);
    } else if (!bodiless && upBody.length > 0 && responseVisible && responseStreamLimit > 0) {
      streamResponse(up);
      return;
    } else {
      // No body phase: the body streams to the client as it came (also one over the limit).
      clientResponse = new ClientResponse(statusOverride != 0 ? statusOverride : up.status(), upstreamFieldsForClient(-1),
          isHead() ? new byte[0] : upBody.clone(), false);
    }
    end();
  }

  /**
   * The upstream's body through the filter's streaming hook. The head waits for the first bytes it
   * lets through: a failure before them answers 500 {@code filter_error} (502
   * {@code response_body_too_large} for a hold over the limit), after them the response is cut short.
   */
  private void streamResponse(TestResponse up) {
    HarnessBodyStream stream = new HarnessBodyStream(filter, this, true, responseStreamLimit, where, up.trailers());
    responseStream = stream;
    RuntimeException failure = null;
    try {
      stream.run(up.bodyPieces());
    } catch (RuntimeException e) {
      failure = e;
    }
    if (failure != null && stream.out().isEmpty()) {
      if (failure instanceof HarnessBodyStream.Overflow o) {
        clientResponse = gatewayError(502, "response_body_too_large", o.getMessage());
      } else {
        failures.add(failure);
        clientResponse = gatewayError(500, "filter_error", "filter " + where + " failed");
      }
      end();
      return;
    }
    if (failure != null) {
      if (!(failure instanceof HarnessBodyStream.Overflow)) failures.add(failure);
      responseCutShort = true;
    }
    List<HeaderField> fields = new ArrayList<>();
    for (HeaderField f : upstreamFieldsForClient(-1)) {
      if (!f.name().equalsIgnoreCase("content-length")) fields.add(f);
    }
    fields.add(new HeaderField("Transfer-Encoding", "chunked"));
    clientResponse = new ClientResponse(statusOverride != 0 ? statusOverride : up.status(), fields, stream.body(), false);
    end();
  }

  @Nullable HarnessBodyStream requestStream() {
    return requestStream;
  }

  @Nullable HarnessBodyStream responseStream() {
    return responseStream;
  }

  boolean responseCutShort() {
    return responseCutShort;
  }

  /** The upstream's fields with the filters' edits; Content-Length of {@code length} (-1: as the upstream sent it). */
  private List<HeaderField> upstreamFieldsForClient(int length) {
    List<HeaderField> fields = new ArrayList<>();
    for (int i = 0; i < upstreamFields.size(); i++) {
      HeaderField f = upstreamFields.get(i);
      String lower = f.name().toLowerCase(Locale.ROOT);
      if (upstreamHopByHop[i] || responseEdits.isRemoved(lower)) continue;
      if (lower.equals("content-length") && length >= 0) continue;
      fields.add(f);
    }
    fields.addAll(responseEdits.added());
    if (length >= 0) fields.add(new HeaderField("Content-Length", Integer.toString(length)));
    return fields;
  }

  private void runResponseBody() {
    responseBodyDone = true;
    inResponseBodyPhase = true;
    try {
      if (responseVisible && responseBodyLimit > 0) filter.onResponseBody(this);
    } catch (RuntimeException e) {
      responseFailed(e);
    } finally {
      inResponseBodyPhase = false;
    }
  }

  private void finishLocal() {
    if (responseBodyLimit > 0) filterLocalBody();
    LocalResponse l = Objects.requireNonNull(local, "local");
    int status = l.status();
    boolean bodiless = status == 204 || status == 304;
    List<HeaderField> fields = new ArrayList<>();
    for (int i = 0; i < l.headerCount(); i++) {
      if (responseEdits.isRemoved(l.headerName(i).toLowerCase(Locale.ROOT))) continue;
      fields.add(new HeaderField(l.headerName(i), l.headerValue(i)));
    }
    fields.addAll(responseEdits.added());
    if (!bodiless) fields.add(new HeaderField("Content-Length", Integer.toString(l.body().length)));
    clientResponse = new ClientResponse(status, fields, bodiless || isHead() ? new byte[0] : l.body().clone(), true);
    end();
  }

  /** The body phase over a local response's body, when the filter sees it and reads bodies of its size. */
  private void filterLocalBody() {
    LocalResponse l = Objects.requireNonNull(local, "local");
    int status = l.status();
    if (responseBodyDone || status == 204 || status == 304 || isHead()) return;
    long limit = responseVisible ? responseBodyLimit : 0;
    if (limit == 0 || l.body().length > limit) return;
    responseBody = l.body().clone();
    responseBodyReplaced = false;
    runResponseBody();
    if (local == l && responseBodyReplaced) local = l.toBuilder().body(responseBody).build();
  }

  private void replace(LocalResponse response) {
    local = response;
    responseEdits.clear();
  }

  private void responseFailed(Throwable e) {
    failures.add(e);
    replace(LocalResponse.error(500, "filter_error", "filter " + where + " failed"));
  }

  /** Ends the exchange: the filter's onEnd, once, if its request phase was entered. */
  private void end() {
    phase = Phase.ENDING;
    stopWaiting();
    if (visited) {
      try {
        filter.onEnd(this);
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    phase = Phase.ENDED;
    settled.complete(null);
  }

  private boolean isHead() {
    return request.method().equals("HEAD");
  }

  // ---- the deadline of async results

  private int startWaiting() {
    int wait = ++awaiting;
    asyncTimer = loop.schedule(() -> asyncTimedOut(wait), asyncTimeout.toNanos(), TimeUnit.NANOSECONDS);
    return wait;
  }

  private boolean endWaiting(int wait) {
    if (wait != awaiting) return false;
    stopWaiting();
    return true;
  }

  private void stopWaiting() {
    awaiting++;
    ScheduledFuture<?> t = asyncTimer;
    asyncTimer = null;
    if (t != null) t.cancel(false);
  }

  /** The async result did not come in time: 504 {@code filter_timeout}, which the filter does not see. */
  private void asyncTimedOut(int wait) {
    if (wait != awaiting) return;
    asyncTimer = null;
    awaiting++;
    LocalResponse timeout = LocalResponse.error(504, "filter_timeout", "filter " + where + " did not complete within "
        + Durations.format(asyncTimeout));
    if (phase == Phase.REQUEST) {
      respond(timeout, false);
    } else if (phase == Phase.RESPONSE) {
      replace(timeout);
      continueResponse();
    }
  }

  private void onLoop(Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      // The harness is closed: the exchange is gone, as with a connection whose loop shut down.
    }
  }

  // ---- Exchange

  @Override
  public Request request() {
    return requestView;
  }

  @Override
  public Response response() {
    if (phase != Phase.RESPONSE && (phase != Phase.ENDING || (local == null && upstream == null))) {
      throw new IllegalStateException("there is no response " + (phase == Phase.REQUEST || phase == Phase.SENT
          ? "in the request phase" : "for this exchange"));
    }
    return responseView;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> @Nullable T attribute(Attribute<T> key) {
    int i = key.index();
    return i < attributes.length ? (T) attributes[i] : null;
  }

  @Override
  public <T> void setAttribute(Attribute<T> key, @Nullable T value) {
    int i = key.index();
    if (i >= attributes.length) {
      if (value == null) return;
      attributes = Arrays.copyOf(attributes, Math.max(i + 1, attributes.length * 2));
    }
    attributes[i] = value;
  }

  @Override
  public String route() {
    return route;
  }

  @Override
  public String listener() {
    return listener;
  }

  @Override
  public Executor executor() {
    return loop;
  }

  @Override
  public UpstreamCalls upstreams() {
    return upstreams;
  }

  private void checkRequestEditable() {
    if (phase != Phase.REQUEST) {
      throw new IllegalStateException(phase == Phase.ENDING || phase == Phase.ENDED ? "the exchange has ended"
          : "the request has been sent upstream; it can no longer be changed");
    }
  }

  private void checkResponseEditable() {
    if (phase != Phase.RESPONSE) throw new IllegalStateException("the response can only be changed in the response phase");
  }

  // ---- views

  private final class RequestView implements Request {
    @Override
    public String method() {
      return method != null ? method : request.method();
    }

    @Override
    public void setMethod(String m) {
      checkRequestEditable();
      if (m == null || !HeaderRules.isToken(m)) throw new IllegalArgumentException("invalid method '" + m + "': expected a token such as GET");
      method = m;
    }

    @Override
    public String path() {
      return path != null ? path : request.path();
    }

    @Override
    public void setPath(String p) {
      checkRequestEditable();
      if (p == null || !p.startsWith("/")) throw new IllegalArgumentException("invalid path '" + p + "': expected it to start with '/'");
      checkTarget(p, "path", true);
      path = p;
    }

    @Override
    public @Nullable String query() {
      return querySet ? query : request.query();
    }

    @Override
    public void setQuery(@Nullable String q) {
      checkRequestEditable();
      if (q != null) checkTarget(q, "query", false);
      query = q == null || q.isEmpty() ? null : q;
      querySet = true;
    }

    /** The octets a request target holds (RFC 3986: unreserved, sub-delims, gen-delims but '#', and '%'). */
    private static void checkTarget(String s, String what, boolean path) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || "-._~!$&'()*+,;=:@/?%[]".indexOf(c) >= 0;
        if (!ok || (path && c == '?')) {
          throw new IllegalArgumentException("invalid character '" + c + "' in " + what + " '" + s + "': percent-encode it");
        }
      }
    }

    @Override
    public String host() {
      return request.host();
    }

    @Override
    public String authority() {
      return authority != null ? authority : request.authority();
    }

    @Override
    public void setAuthority(String a) {
      checkRequestEditable();
      if (a == null || a.isEmpty()) throw new IllegalArgumentException("invalid authority: expected host[:port]");
      for (int i = 0; i < a.length(); i++) {
        char c = a.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || ".-_~:[]%".indexOf(c) >= 0;
        if (!ok) throw new IllegalArgumentException("invalid authority '" + a + "': expected host[:port]");
      }
      authority = a;
    }

    @Override
    public String clientIp() {
      return request.clientIp();
    }

    @Override
    public String scheme() {
      return request.scheme();
    }

    @Override
    public Headers headers() {
      return requestHeaders;
    }

    @Override
    public long contentLength() {
      byte[] b = request.bodyBytes();
      return b == null ? -1 : b.length;
    }

    @Override
    public boolean hasBody() {
      byte[] b = request.bodyBytes();
      return b != null && b.length > 0;
    }

    @Override
    public @Nullable Body body() {
      byte[] b = body;
      return b == null ? null : new BytesBody(b);
    }

    @Override
    public void setBody(byte[] bytes) {
      checkRequestEditable();
      if (hasBody() && !bodyBuffered) {
        throw new IllegalStateException("the request body streams; a filter that replaces it must declare bufferRequestBody()");
      }
      body = bytes.clone();
      bodyReplaced = true;
    }

    @Override
    public void limitBodySize(long maxBytes) {
      checkRequestEditable();
      if (maxBytes < 0) throw new IllegalArgumentException("maxBytes must be >= 0, got " + maxBytes);
      bodyLimit = Math.min(bodyLimit, maxBytes);
    }
  }

  private final class ResponseView implements Response {
    @Override
    public int status() {
      LocalResponse l = local;
      return l != null ? l.status() : statusOverride != 0 ? statusOverride : Objects.requireNonNull(upstream, "upstream").status();
    }

    @Override
    public void setStatus(int status) {
      if (status < 200 || status > 599) throw new IllegalArgumentException("status " + status + " is not 200 to 599");
      if (local != null || upstream == null) {
        throw new IllegalStateException("setStatus is for an upstream's response; answer with FilterResult.respond instead");
      }
      if (clientResponse != null) throw new IllegalStateException("the response head has gone out; its status can no longer change");
      statusOverride = status;
    }

    @Override
    public Headers headers() {
      return responseHeaders;
    }

    @Override
    public boolean isLocal() {
      return local != null;
    }

    @Override
    public @Nullable Body body() {
      byte[] b = responseBody;
      return inResponseBodyPhase && b != null ? new BytesBody(b) : null;
    }

    @Override
    public void setBody(byte[] bytes) {
      if (!inResponseBodyPhase) {
        throw new IllegalStateException("the response body can only be replaced in onResponseBody, by a filter that declares bufferResponseBody()");
      }
      responseBody = bytes.clone();
      responseBodyReplaced = true;
    }
  }

  private final class RequestHeaders implements Headers {
    @Override
    public @Nullable String get(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("host")) return requestView.authority();
      String v = requestEdits.isRemoved(lower) ? null : receivedValue(lower, null);
      return v != null ? v : requestEdits.firstAdded(lower);
    }

    @Override
    public List<String> getAll(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      List<String> out = new ArrayList<>(2);
      if (lower.equals("host")) {
        out.add(requestView.authority());
        return out;
      }
      if (!requestEdits.isRemoved(lower)) receivedValue(lower, out);
      for (HeaderField f : requestEdits.added()) {
        if (f.name().equalsIgnoreCase(lower)) out.add(f.value());
      }
      return out;
    }

    private @Nullable String receivedValue(String lower, @Nullable List<String> out) {
      String first = null;
      for (int i = 0; i < received.size(); i++) {
        HeaderField f = received.get(i);
        if (receivedHopByHop[i] || !f.name().equalsIgnoreCase(lower)) continue;
        if (out == null) return f.value();
        if (first == null) first = f.value();
        out.add(f.value());
      }
      return first;
    }

    @Override
    public boolean contains(String name) {
      return get(name) != null;
    }

    @Override
    public void set(String name, String value) {
      checkRequestEditable();
      String lower = HeaderRules.check(name, value, false);
      requestEdits.remove(lower);
      requestEdits.add(name, value);
    }

    @Override
    public void add(String name, String value) {
      checkRequestEditable();
      HeaderRules.check(name, value, false);
      requestEdits.add(name, value);
    }

    @Override
    public void remove(String name) {
      checkRequestEditable();
      requestEdits.remove(HeaderRules.checkName(name, false));
    }

    @Override
    public void forEach(BiConsumer<String, String> action) {
      action.accept("Host", requestView.authority());
      for (int i = 0; i < received.size(); i++) {
        HeaderField f = received.get(i);
        if (receivedHopByHop[i] || requestEdits.isRemoved(f.name().toLowerCase(Locale.ROOT))) continue;
        action.accept(f.name(), f.value());
      }
      for (HeaderField f : requestEdits.added()) action.accept(f.name(), f.value());
    }
  }

  private final class ResponseHeaders implements Headers {
    @Override
    public @Nullable String get(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      String v = responseEdits.isRemoved(lower) ? null : own(lower, null);
      return v != null ? v : responseEdits.firstAdded(lower);
    }

    @Override
    public List<String> getAll(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      List<String> out = new ArrayList<>(2);
      if (!responseEdits.isRemoved(lower)) own(lower, out);
      for (HeaderField f : responseEdits.added()) {
        if (f.name().equalsIgnoreCase(lower)) out.add(f.value());
      }
      return out;
    }

    /** The values of {@code lower} in the response as the upstream or the gateway made it (hop-by-hop fields left out). */
    private @Nullable String own(String lower, @Nullable List<String> out) {
      String first = null;
      LocalResponse l = local;
      int n = l != null ? l.headerCount() : upstreamFields.size();
      for (int i = 0; i < n; i++) {
        String v;
        if (l != null) {
          if (!l.headerName(i).equalsIgnoreCase(lower)) continue;
          v = l.headerValue(i);
        } else {
          HeaderField f = upstreamFields.get(i);
          if (upstreamHopByHop[i] || !f.name().equalsIgnoreCase(lower)) continue;
          v = f.value();
        }
        if (out == null) return v;
        if (first == null) first = v;
        out.add(v);
      }
      return first;
    }

    @Override
    public boolean contains(String name) {
      return get(name) != null;
    }

    @Override
    public void set(String name, String value) {
      checkResponseEditable();
      String lower = HeaderRules.check(name, value, true);
      responseEdits.remove(lower);
      responseEdits.add(name, value);
    }

    @Override
    public void add(String name, String value) {
      checkResponseEditable();
      HeaderRules.check(name, value, true);
      responseEdits.add(name, value);
    }

    @Override
    public void remove(String name) {
      checkResponseEditable();
      responseEdits.remove(HeaderRules.checkName(name, true));
    }

    @Override
    public void forEach(BiConsumer<String, String> action) {
      LocalResponse l = local;
      if (l != null) {
        for (int i = 0; i < l.headerCount(); i++) {
          if (!responseEdits.isRemoved(l.headerName(i).toLowerCase(Locale.ROOT))) action.accept(l.headerName(i), l.headerValue(i));
        }
      } else {
        for (int i = 0; i < upstreamFields.size(); i++) {
          HeaderField f = upstreamFields.get(i);
          String lower = f.name().toLowerCase(Locale.ROOT);
          if (upstreamHopByHop[i] || lower.equals("content-length") || responseEdits.isRemoved(lower)) continue;
          action.accept(f.name(), f.value());
        }
      }
      for (HeaderField f : responseEdits.added()) action.accept(f.name(), f.value());
    }
  }

  /** A body over a byte array the exchange owns; read-only. */
  private record BytesBody(byte[] bytes) implements Body {
    @Override
    public int length() {
      return bytes.length;
    }

    @Override
    public byte[] toByteArray() {
      return bytes.clone();
    }

    @Override
    public String toString(Charset charset) {
      return new String(bytes, charset);
    }

    @Override
    public ByteBuffer asByteBuffer() {
      return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }
  }
}
