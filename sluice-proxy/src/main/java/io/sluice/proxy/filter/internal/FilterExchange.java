package io.sluice.proxy.filter.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
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
import io.sluice.proxy.http1.Ascii;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.message.RequestRejectedException;
import io.sluice.proxy.message.ResponseMessage;
import io.sluice.proxy.message.UpstreamRequest;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Runs a {@link FilterChain} over one exchange at a time of one client connection, and is the
 * {@link Exchange} its filters see. One instance per connection (created the first time a route with
 * filters takes one of its requests), reused for each exchange: its edit overlays, attribute array
 * and visited list are cleared, not reallocated, so a chain costs the filters' own work and little
 * more.
 *
 * <p>The request phase runs the filters in order until one answers or the chain ends; a filter
 * that needs the body makes the host buffer it first; an async result parks the chain until its
 * stage completes, then resumes it on the connection's event loop (a generation number makes a
 * late completion for an exchange that has ended a no-op), or until the listener's
 * {@code timeouts.filter} passes: then the exchange answers 504 {@code filter_timeout} and the
 * result is ignored when it comes. The response phase runs, in reverse, the filters whose request
 * phase was reached. A filter that throws (or whose result fails) makes the answer 500
 * {@code filter_error}; the host counts and logs it ({@link ExchangeHost#filterFailed}).
 *
 * <p>Threading: everything on the connection's event loop.
 */
public final class FilterExchange implements Exchange {
  /** {@link #filterUpstreamResponse}: encode the upstream's head with {@link #responseEdits()}. */
  public static final int RESPONSE_CONTINUE = 0;
  /** {@link #filterUpstreamResponse}: wait; the resume callback runs when the response phase is done. */
  public static final int RESPONSE_PENDING = 1;
  /** {@link #filterUpstreamResponse}: a filter replaced the response; write it with {@link #writeReplacement()}. */
  public static final int RESPONSE_REPLACED = 2;

  private static final int IDLE = 0;
  private static final int REQUEST = 1;
  /** The request phase is over; the request is on its way upstream (or to the direct response). */
  private static final int SENT = 2;
  private static final int RESPONSE = 3;
  /** The exchange is ending: the filters' end callbacks run; nothing can be changed. */
  private static final int ENDING = 4;

  private final ExchangeHost host;
  private final ByteBufAllocator alloc;
  private final EventExecutor loop;
  private final HeaderEdits requestEdits = new HeaderEdits();
  private final HeaderEdits responseEdits = new HeaderEdits();
  private final RequestView requestView = new RequestView();
  private final ResponseView responseView = new ResponseView();
  private final RequestMessageers requestHeaders = new RequestMessageers();
  private final ResponseMessageers responseHeaders = new ResponseMessageers();
  private final BodyView bodyView = new BodyView(false);
  private final BodyView responseBodyView = new BodyView(true);

  private Object[] attributes = new Object[8];
  private boolean anyAttribute;
  private int[] visited = new int[8];
  private int visitedCount;

  private int phase = IDLE;
  private int generation;
  private @Nullable FilterChain chain;
  private @Nullable RequestMessage head;
  private String route = "";
  private String listener = "";
  private int index;
  private @Nullable String method;
  private @Nullable String path;
  private @Nullable String query;
  private boolean querySet;
  private @Nullable String authority;
  private @Nullable String routeAuthority;
  private @Nullable ByteBuf body;
  private boolean bodyBuffered;
  /** A filter set the body ({@link Request#setBody}): it is sent with a Content-Length even when empty. */
  private boolean bodyReplaced;
  private long bodyLimit = Long.MAX_VALUE;

  private @Nullable ResponseMessage upstreamHead;
  /** A filter's {@link Response#setStatus} for the upstream's head, or 0. */
  private int statusOverride;
  /** Whether the upstream's head went out ({@link #headToWrite}): its status can no longer change. */
  private boolean upstreamHeadOut;
  private @Nullable LocalResponse local;
  private int responseIndex;
  private @Nullable Runnable resume;
  private long asyncTimeoutNanos;
  /**
   * Numbers the waits for async results: a completion or a timeout acts only if the wait it belongs
   * to is still the current one, so whichever comes second (and any completion after the
   * exchange ended) is a no-op.
   */
  private int awaiting;
  /** The deadline of the async result waited for now, or null. */
  private @Nullable ScheduledFuture<?> asyncTimer;
  /** For a local response whose response phase went async: close the connection after it. */
  private boolean closeAfterLocal;
  /** How many visited filters see the current response (the one that answered does not). */
  private int responseVisible;
  /** The response body being collected or handed to the body phase; owned here, released in {@link #end()}. */
  private @Nullable ByteBuf responseBody;
  private long responseBodyLimit;
  private long responseBodyExpected;
  /** {@link Filter#onResponseBody} is running: the body can be read and replaced. */
  private boolean inResponseBodyPhase;
  private boolean responseBodyReplaced;
  /** The body phase ran for this exchange: a replacement it caused (a failure) does not get it again. */
  private boolean responseBodyDone;

  /**
   * @param alloc where buffered bodies and encoded responses are allocated
   * @param loop the connection's event loop: where the chain resumes after an async result
   */
  public FilterExchange(ExchangeHost host, ByteBufAllocator alloc, EventExecutor loop) {
    this.host = host;
    this.alloc = alloc;
    this.loop = loop;
  }

  // ---- driven by the host

  /**
   * Starts the request phase of a new exchange; it may end before this returns (the host is called
   * back) or later, from a task on the event loop.
   *
   * @param routeAuthority the Host the route rewrites to, or null
   * @param asyncTimeout how long a filter's async result may keep a phase waiting (the listener's
   *     {@code timeouts.filter}); past it the exchange answers 504 {@code filter_timeout}
   */
  public void start(FilterChain chain, RequestMessage head, String route, String listener, @Nullable String routeAuthority,
      Duration asyncTimeout) {
    this.chain = chain;
    this.asyncTimeoutNanos = asyncTimeout.toNanos();
    this.head = head;
    this.route = route;
    this.listener = listener;
    this.routeAuthority = routeAuthority;
    this.phase = REQUEST;
    this.generation++;
    this.index = 0;
    this.visitedCount = 0;
    runRequest();
  }

  /** Whether an exchange is in progress. */
  public boolean isActive() {
    return phase != IDLE;
  }

  /**
   * Adds a piece of the request body being buffered.
   *
   * @throws RequestRejectedException 413 when the body grows beyond what the filters buffer
   */
  public void appendBody(ByteBuf src, int from, int length) {
    ByteBuf b = body;
    long limit = Math.min(chain.bodyLimit(), bodyLimit);
    long size = (b == null ? 0 : b.readableBytes()) + (long) length;
    if (size > limit) {
      throw new RequestRejectedException(413, "request body larger than " + limit + " bytes, the most this route buffers");
    }
    if (b == null) {
      long expected = head.contentLength() > 0 ? head.contentLength() : 4096;
      b = alloc.buffer((int) Math.min(expected, Math.max(length, 4096)));
      body = b;
    }
    b.writeBytes(src, from, length);
  }

  /** The body is complete: the request phase goes on. */
  public void requestBodyBuffered() {
    bodyBuffered = true;
    if (body == null) body = Unpooled.EMPTY_BUFFER;
    runRequest();
  }

  /** The most bytes of body the filters allow ({@link Request#limitBodySize}); {@code Long.MAX_VALUE} when unlimited. */
  public long bodyLimit() {
    return bodyLimit;
  }

  /** The buffered or replaced body's length, or -1 when the body streams. */
  public long bufferedBodyLength() {
    return body == null ? -1 : body.readableBytes();
  }

  /**
   * Adds what the filters changed to {@code out} (the route's description of the request to send)
   * and returns the buffered or replaced body that follows the head, as a retained duplicate the
   * caller owns; null when the body streams (or is empty). May be called again (a retry).
   */
  public @Nullable ByteBuf describeUpstreamRequest(UpstreamRequest out) {
    if (phase == REQUEST) phase = SENT;
    // A body-less request whose (empty) body was only "buffered" for a filter is sent as it came.
    ByteBuf b = bodyReplaced || head.hasBody() ? body : null;
    out.edit(method, path, querySet, query, authority, requestEdits, b == null ? -1 : b.readableBytes());
    return b == null || !b.isReadable() ? null : b.retainedDuplicate();
  }

  /** Whether the response phase has anything to run. */
  public boolean hasResponsePhase() {
    return chain != null && chain.hasResponsePhase() && visitedCount > 0;
  }

  /**
   * Runs the response phase over an upstream's response head.
   *
   * @param resume run on the event loop when a pending response phase is done
   * @return {@link #RESPONSE_CONTINUE}, {@link #RESPONSE_PENDING} or {@link #RESPONSE_REPLACED}
   */
  public int filterUpstreamResponse(ResponseMessage h, Runnable resume) {
    upstreamHead = h;
    statusOverride = 0;
    upstreamHeadOut = false;
    responseVisible = visitedCount;
    if (!hasResponsePhase()) return RESPONSE_CONTINUE;
    phase = RESPONSE;
    local = null;
    responseEdits.clear();
    responseIndex = visitedCount - 1;
    if (!runResponse()) {
      this.resume = resume;
      return RESPONSE_PENDING;
    }
    return local != null ? RESPONSE_REPLACED : RESPONSE_CONTINUE;
  }

  /** After {@link #RESPONSE_PENDING}: whether a filter replaced the response. */
  public boolean responseReplaced() {
    return local != null;
  }

  /** The response filters' header edits for the upstream's head, or null when there are none. */
  /**
   * The upstream's head as it is to be written: with the status a filter set
   * ({@link Response#setStatus}), if any. Called once, when the head goes out; later
   * {@code setStatus} calls are refused.
   */
  public ResponseMessage headToWrite(ResponseMessage head) {
    upstreamHeadOut = true;
    return statusOverride == 0 ? head : new StatusReplacedHead(head, statusOverride);
  }

  public @Nullable HeaderEdits responseEdits() {
    return phase == RESPONSE && !responseEdits.isEmpty() ? responseEdits : null;
  }

  /**
   * Whether the upstream response's body is to be collected for the filters' body phase
   * ({@link Filter#bufferResponseBody()}): a visited filter reads it and {@code contentLength}
   * (-1 when unknown) is within the largest limit. Costs nothing on a chain without such a filter.
   */
  public boolean collectResponseBody(long contentLength) {
    FilterChain c = chain;
    if (c == null || !c.hasResponseBodyPhase()) return false;
    long limit = responseBodyLimit(visitedCount);
    if (limit == 0 || contentLength > limit) return false;
    responseBodyLimit = limit;
    responseBodyExpected = contentLength;
    return true;
  }

  private long responseBodyLimit(int visible) {
    long limit = 0;
    for (int k = 0; k < visible; k++) limit = Math.max(limit, chain.link(visited[k]).responseBodyLimit);
    return limit;
  }

  /**
   * Adds a piece of the response body being collected; false, with nothing added, when it would
   * grow beyond the limit (the caller then streams the response: {@link #takeResponseBody()}).
   */
  public boolean appendResponseBody(ByteBuf src, int from, int length) {
    ByteBuf b = responseBody;
    long size = (b == null ? 0 : b.readableBytes()) + (long) length;
    if (size > responseBodyLimit) return false;
    if (b == null) {
      long expected = responseBodyExpected > 0 ? responseBodyExpected : 8192;
      b = alloc.buffer((int) Math.min(Math.max(expected, length), responseBodyLimit));
      responseBody = b;
    }
    b.writeBytes(src, from, length);
    return true;
  }

  /** The response body collected so far, handed to the caller (who releases it); null when there is none. */
  public @Nullable ByteBuf takeResponseBody() {
    ByteBuf b = responseBody;
    responseBody = null;
    return b == Unpooled.EMPTY_BUFFER ? null : b;
  }

  /**
   * The collected upstream response body is complete: runs the filters' body phase.
   *
   * @return true when the response was replaced (a filter failed): write it with {@link #writeReplacement()}
   */
  public boolean filterResponseBody() {
    if (responseBody == null) responseBody = Unpooled.EMPTY_BUFFER;
    if (phase != RESPONSE) {
      phase = RESPONSE;
      local = null;
      responseEdits.clear();
    }
    runResponseBody(responseVisible);
    return local != null;
  }

  /** After {@link #filterResponseBody()}: the edits for the upstream's head, with the Content-Length of {@code length}. */
  public HeaderEdits responseEditsWithLength(int length) {
    responseEdits.remove("content-length");
    responseEdits.remove("transfer-encoding");
    responseEdits.add("Content-Length", "content-length", Integer.toString(length));
    return responseEdits;
  }

  private void runResponseBody(int visible) {
    responseBodyDone = true;
    inResponseBodyPhase = true;
    try {
      for (int k = visible - 1; k >= 0; k--) {
        FilterChain.Link l = chain.link(visited[k]);
        if (l.responseBodyLimit == 0) continue;
        try {
          l.filter.onResponseBody(this);
        } catch (RuntimeException e) {
          responseFailed(l, e);
          return;
        }
      }
    } finally {
      inResponseBodyPhase = false;
    }
  }

  /** Writes the response a response filter put in place of the upstream's, ending the exchange. */
  public void writeReplacement() {
    finishLocal(false);
  }

  /** Answers with the route's direct response, through the response phase. */
  public void respondDirect(LocalResponse response) {
    respond(response, visitedCount, false);
  }

  /**
   * Ends the exchange: releases the buffered body, forgets edits and attributes. A pending async
   * result that completes later is ignored.
   */
  public void end() {
    if (phase == IDLE) return;
    phase = ENDING;
    if (chain.hasEndCallback()) {
      for (int k = visitedCount - 1; k >= 0; k--) {
        FilterChain.Link l = chain.link(visited[k]);
        if (!l.end) continue;
        try {
          l.filter.onEnd(this);
        } catch (RuntimeException e) {
          host.filterFailed(l.where + " (onEnd)", e);
        }
      }
    }
    phase = IDLE;
    generation++;
    stopWaiting();
    ByteBuf b = body;
    body = null;
    if (b != null) b.release();
    ByteBuf rb = responseBody;
    responseBody = null;
    if (rb != null) rb.release();
    responseBodyReplaced = false;
    responseBodyDone = false;
    responseBodyLimit = 0;
    bodyBuffered = false;
    bodyReplaced = false;
    bodyLimit = Long.MAX_VALUE;
    method = null;
    path = null;
    query = null;
    querySet = false;
    authority = null;
    routeAuthority = null;
    requestEdits.clear();
    responseEdits.clear();
    if (anyAttribute) {
      Arrays.fill(attributes, null);
      anyAttribute = false;
    }
    upstreamHead = null;
    local = null;
    resume = null;
    chain = null;
    head = null;
    visitedCount = 0;
  }

  // ---- the request phase

  private void runRequest() {
    FilterChain c = chain;
    while (index < c.size()) {
      int i = index;
      FilterChain.Link l = c.link(i);
      if (l.bodyLimit > 0 && !bodyBuffered) {
        if (!head.hasBody()) {
          bodyBuffered = true;
          body = Unpooled.EMPTY_BUFFER;
        } else {
          long limit = Math.min(c.bodyLimit(), bodyLimit);
          if (head.contentLength() > limit) {
            respond(LocalResponse.error(413, "request_body_too_large", "request body larger than " + limit + " bytes"),
                visitedCount, true);
            return;
          }
          host.bufferRequestBody();
          return;
        }
      }
      visit(i);
      if (!l.request) {
        index = i + 1;
        continue;
      }
      FilterResult r;
      try {
        r = l.filter.onRequest(this);
      } catch (RuntimeException e) {
        failed(l, e);
        return;
      }
      if (!apply(i, r)) return;
    }
    phase = SENT;
    host.requestPhaseDone();
  }

  /**
   * Applies a request-phase result of filter {@code i} (the last visited); true when the flow goes
   * on at {@link #index}.
   */
  private boolean apply(int i, @Nullable FilterResult r) {
    if (r == FilterResult.CONTINUE) {
      index = i + 1;
      return true;
    }
    FilterChain.Link l = chain.link(i);
    if (r == null) {
      failed(l, new NullPointerException("onRequest returned null"));
      return false;
    }
    CompletionStage<FilterResult> stage = r.stage();
    if (stage != null) {
      awaitRequest(i, stage);
      return false;
    }
    int jump = chain.jump(i, r.name());
    if (jump >= 0) {
      index = jump;
      return true;
    }
    LocalResponse response = r.response();
    if (response != null) {
      // The filter that answers does not see its own response.
      respond(response, visitedCount - 1, false);
      return false;
    }
    index = i + 1;
    return true;
  }

  private void awaitRequest(int i, CompletionStage<FilterResult> stage) {
    int gen = generation;
    int wait = startWaiting(i);
    stage.whenComplete((result, error) -> onLoop(() -> {
      if (gen != generation || phase != REQUEST || !endWaiting(wait)) return;
      if (error != null) {
        failed(chain.link(i), error);
      } else if (apply(i, result)) {
        runRequest();
      }
      host.resumed();
    }));
  }

  /** For {@link BodyStreamChain}: how many filters' request phase was entered in this exchange. */
  int visitedCount() {
    return visitedCount;
  }

  /** For {@link BodyStreamChain}: the chain position of the {@code k}-th filter whose request phase was entered. */
  int visitedAt(int k) {
    return visited[k];
  }

  /** For {@link BodyStreamChain}: the chain of the exchange in progress, or null between exchanges. */
  @Nullable FilterChain chain() {
    return chain;
  }

  private void visit(int i) {
    if (visitedCount == visited.length) visited = Arrays.copyOf(visited, visitedCount * 2);
    visited[visitedCount++] = i;
  }

  private void failed(FilterChain.Link l, Throwable e) {
    host.filterFailed(l.where, e);
    respond(LocalResponse.error(500, "filter_error", "filter " + l.where + " failed"), visitedCount - 1, false);
  }

  // ---- the response phase

  /** Answers with a local response after the response phase of the first {@code visible} visited filters. */
  private void respond(LocalResponse response, int visible, boolean close) {
    phase = RESPONSE;
    local = response;
    upstreamHead = null;
    responseEdits.clear();
    responseIndex = visible - 1;
    responseVisible = visible;
    closeAfterLocal = close;
    if (runResponse()) finishLocal(close);
  }

  private void finishLocal(boolean close) {
    if (chain.hasResponseBodyPhase()) filterLocalBody();
    host.writeLocalResponse(local, responseEdits, close);
  }

  /** The body phase over a local response's body, when a visited filter reads bodies of its size. */
  private void filterLocalBody() {
    LocalResponse l = local;
    int status = l.status();
    if (responseBodyDone || status == 204 || status == 304 || head.method().equals("HEAD")) return;
    long limit = responseBodyLimit(responseVisible);
    if (limit == 0 || l.body().length > limit) return;
    ByteBuf old = responseBody;
    if (old != null) old.release();
    responseBody = Unpooled.wrappedBuffer(l.body());
    responseBodyReplaced = false;
    runResponseBody(responseVisible);
    if (local == l && responseBodyReplaced) local = l.toBuilder().body(ByteBufUtil.getBytes(responseBody)).build();
  }

  /** Runs response phases down to the first visited filter; false when one went async. */
  private boolean runResponse() {
    while (responseIndex >= 0) {
      int i = visited[responseIndex--];
      FilterChain.Link l = chain.link(i);
      if (!l.response) continue;
      FilterResult r;
      try {
        r = l.filter.onResponse(this);
      } catch (RuntimeException e) {
        responseFailed(l, e);
        continue;
      }
      if (!applyResponse(i, r)) return false;
    }
    return true;
  }

  private boolean applyResponse(int i, @Nullable FilterResult r) {
    if (r == FilterResult.CONTINUE) return true;
    FilterChain.Link l = chain.link(i);
    if (r == null) {
      responseFailed(l, new NullPointerException("onResponse returned null"));
      return true;
    }
    CompletionStage<FilterResult> stage = r.stage();
    if (stage != null) {
      awaitResponse(i, stage);
      return false;
    }
    if (r.response() != null) replace(r.response());
    return true;
  }

  private void awaitResponse(int i, CompletionStage<FilterResult> stage) {
    int gen = generation;
    int wait = startWaiting(i);
    stage.whenComplete((result, error) -> onLoop(() -> {
      if (gen != generation || phase != RESPONSE || !endWaiting(wait)) return;
      if (error != null) {
        responseFailed(chain.link(i), error);
      } else if (!applyResponse(i, result)) {
        return;
      }
      continueResponse();
    }));
  }

  /** The response phase goes on after a wait: the remaining filters, then the response goes out. */
  private void continueResponse() {
    if (!runResponse()) return;
    Runnable r = resume;
    if (r != null) {
      resume = null;
      r.run();
    } else {
      finishLocal(closeAfterLocal);
      host.resumed();
    }
  }

  // ---- the deadline of async results

  /** A wait for filter {@code i}'s async result starts; returns its number. */
  private int startWaiting(int i) {
    int wait = ++awaiting;
    asyncTimer = loop.schedule(() -> asyncTimedOut(wait, i), asyncTimeoutNanos, TimeUnit.NANOSECONDS);
    return wait;
  }

  /** The result of wait {@code wait} arrived: true when it is still the current wait (it then ends). */
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

  /**
   * Filter {@code i}'s async result did not arrive in time: the exchange answers 504
   * {@code filter_timeout} (in the response phase, in place of the response), and the result, if it
   * ever comes, is ignored. The filter does not see this response, as if it had answered itself.
   */
  private void asyncTimedOut(int wait, int i) {
    FilterChain c = chain;
    if (wait != awaiting || c == null) return;
    asyncTimer = null;
    awaiting++;
    FilterChain.Link l = c.link(i);
    LocalResponse timeout = LocalResponse.error(504, "filter_timeout", "filter " + l.where + " did not complete within "
        + Durations.format(Duration.ofNanos(asyncTimeoutNanos)));
    if (phase == REQUEST) {
      respond(timeout, visitedCount - 1, false);
      host.resumed();
    } else if (phase == RESPONSE) {
      replace(timeout);
      continueResponse();
    }
  }

  private void replace(LocalResponse response) {
    local = response;
    responseEdits.clear();
  }

  private void responseFailed(FilterChain.Link l, Throwable e) {
    host.filterFailed(l.where + " (response phase)", e);
    replace(LocalResponse.error(500, "filter_error", "filter " + l.where + " failed"));
  }

  private void onLoop(Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      // The event loop is shutting down: the connection, and with it the exchange, is gone.
    }
  }

  // ---- Exchange

  @Override
  public Request request() {
    return requestView;
  }

  @Override
  public Response response() {
    if (phase != RESPONSE && (phase != ENDING || (local == null && upstreamHead == null))) {
      throw new IllegalStateException("there is no response " + (phase == ENDING ? "for this exchange" : "in the request phase"));
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
    if (value != null) anyAttribute = true;
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
  public io.sluice.filter.UpstreamCalls upstreams() {
    return host.upstreamCalls();
  }

  @Override
  public Executor executor() {
    return loop;
  }

  private void checkRequestEditable() {
    if (phase != REQUEST) {
      throw new IllegalStateException(phase == IDLE || phase == ENDING ? "the exchange has ended"
          : "the request has been sent upstream; it can no longer be changed");
    }
  }

  private void checkResponseEditable() {
    if (phase != RESPONSE) throw new IllegalStateException("the response can only be changed in the response phase");
  }

  // ---- views

  private final class RequestView implements Request {
    @Override
    public String method() {
      return method != null ? method : head.method();
    }

    @Override
    public void setMethod(String m) {
      checkRequestEditable();
      if (m == null || !Ascii.isToken(m)) throw new IllegalArgumentException("invalid method '" + m + "': expected a token such as GET");
      method = m;
    }

    @Override
    public String path() {
      return path != null ? path : head.path();
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
      return querySet ? query : head.query();
    }

    @Override
    public void setQuery(@Nullable String q) {
      checkRequestEditable();
      if (q != null) checkTarget(q, "query", false);
      query = q == null || q.isEmpty() ? null : q;
      querySet = true;
    }

    private static void checkTarget(String s, String what, boolean path) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c > 0xff || !Ascii.isTargetOctet(c) || (path && c == '?')) {
          throw new IllegalArgumentException("invalid character '" + c + "' in " + what + " '" + s
              + "': percent-encode it");
        }
      }
    }

    @Override
    public String host() {
      return head.host();
    }

    @Override
    public String authority() {
      if (authority != null) return authority;
      return routeAuthority != null ? routeAuthority : head.authority();
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
      return head.clientIp();
    }

    @Override
    public String scheme() {
      return head.scheme();
    }

    @Override
    public Headers headers() {
      return requestHeaders;
    }

    @Override
    public long contentLength() {
      return head.contentLength();
    }

    @Override
    public boolean hasBody() {
      return head.hasBody();
    }

    @Override
    public @Nullable Body body() {
      return body == null ? null : bodyView;
    }

    @Override
    public void setBody(byte[] bytes) {
      checkRequestEditable();
      if (head.hasBody() && !bodyBuffered) {
        throw new IllegalStateException("the request body streams; a filter that replaces it must declare bufferRequestBody()");
      }
      ByteBuf old = body;
      body = bytes.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes.clone());
      bodyReplaced = true;
      if (old != null) old.release();
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
      return l != null ? l.status() : statusOverride != 0 ? statusOverride : upstreamHead.status();
    }

    @Override
    public void setStatus(int status) {
      if (status < 200 || status > 599) throw new IllegalArgumentException("status " + status + " is not 200 to 599");
      if (local != null || upstreamHead == null) {
        throw new IllegalStateException("setStatus is for an upstream's response; answer with FilterResult.respond instead");
      }
      if (upstreamHeadOut) throw new IllegalStateException("the response head has gone out; its status can no longer change");
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
      return inResponseBodyPhase && responseBody != null ? responseBodyView : null;
    }

    @Override
    public void setBody(byte[] bytes) {
      if (!inResponseBodyPhase) {
        throw new IllegalStateException("the response body can only be replaced in onResponseBody, by a filter that declares bufferResponseBody()");
      }
      ByteBuf old = responseBody;
      responseBody = bytes.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes.clone());
      responseBodyReplaced = true;
      if (old != null) old.release();
    }
  }

  private final class RequestMessageers implements Headers {
    @Override
    public @Nullable String get(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("host")) return requestView.authority();
      String v = requestEdits.isRemoved(lower) ? null : received(lower, null);
      return v != null ? v : requestEdits.added(lower);
    }

    @Override
    public List<String> getAll(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      List<String> out = new ArrayList<>(2);
      if (lower.equals("host")) {
        out.add(requestView.authority());
        return out;
      }
      if (!requestEdits.isRemoved(lower)) received(lower, out);
      for (int i = 0; i < requestEdits.addedCount(); i++) {
        if (requestEdits.addedLowerName(i).equals(lower)) out.add(requestEdits.addedValue(i));
      }
      return out;
    }

    /** The first received value of {@code lower} (hop-by-hop fields left out); every one into {@code out} when given. */
    private @Nullable String received(String lower, @Nullable List<String> out) {
      RequestMessage h = head;
      String first = null;
      for (int i = 0, n = h.headerCount(); i < n; i++) {
        if (!h.headerNameIs(i, lower) || h.isHopByHop(i)) continue;
        if (out == null) return h.headerValue(i);
        if (first == null) first = h.headerValue(i);
        out.add(h.headerValue(i));
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
      requestEdits.add(name, lower, value);
    }

    @Override
    public void add(String name, String value) {
      checkRequestEditable();
      requestEdits.add(name, HeaderRules.check(name, value, false), value);
    }

    @Override
    public void remove(String name) {
      checkRequestEditable();
      requestEdits.remove(HeaderRules.checkName(name, false));
    }

    @Override
    public void forEach(BiConsumer<String, String> action) {
      action.accept("Host", requestView.authority());
      RequestMessage h = head;
      for (int i = 0, n = h.headerCount(); i < n; i++) {
        if (h.isHopByHop(i) || h.headerNameIs(i, "host")) continue;
        String lowerName = h.headerName(i).toLowerCase(Locale.ROOT);
        if (!requestEdits.isRemoved(lowerName)) action.accept(h.headerName(i), h.headerValue(i));
      }
      for (int i = 0; i < requestEdits.addedCount(); i++) action.accept(requestEdits.addedName(i), requestEdits.addedValue(i));
    }
  }

  private final class ResponseMessageers implements Headers {
    @Override
    public @Nullable String get(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      String v = responseEdits.isRemoved(lower) ? null : own(lower, null);
      return v != null ? v : responseEdits.added(lower);
    }

    @Override
    public List<String> getAll(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      List<String> out = new ArrayList<>(2);
      if (!responseEdits.isRemoved(lower)) own(lower, out);
      for (int i = 0; i < responseEdits.addedCount(); i++) {
        if (responseEdits.addedLowerName(i).equals(lower)) out.add(responseEdits.addedValue(i));
      }
      return out;
    }

    /**
     * The first value of {@code lower} in the response as the upstream or the gateway made it
     * (hop-by-hop fields left out); every one into {@code out} when given.
     */
    private @Nullable String own(String lower, @Nullable List<String> out) {
      String first = null;
      LocalResponse l = local;
      int n = l != null ? l.headerCount() : upstreamHead.headerCount();
      for (int i = 0; i < n; i++) {
        String v;
        if (l != null) {
          if (!l.headerName(i).equalsIgnoreCase(lower)) continue;
          v = l.headerValue(i);
        } else {
          if (!upstreamHead.headerNameIs(i, lower) || upstreamHead.isHopByHop(i)) continue;
          v = upstreamHead.headerValue(i);
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
      responseEdits.add(name, lower, value);
    }

    @Override
    public void add(String name, String value) {
      checkResponseEditable();
      responseEdits.add(name, HeaderRules.check(name, value, true), value);
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
        ResponseMessage h = upstreamHead;
        for (int i = 0, n = h.headerCount(); i < n; i++) {
          if (h.isHopByHop(i) || h.headerNameIs(i, "content-length")) continue;
          if (!responseEdits.isRemoved(h.headerName(i).toLowerCase(Locale.ROOT))) action.accept(h.headerName(i), h.headerValue(i));
        }
      }
      for (int i = 0; i < responseEdits.addedCount(); i++) action.accept(responseEdits.addedName(i), responseEdits.addedValue(i));
    }
  }

  private final class BodyView implements Body {
    private final boolean response;

    BodyView(boolean response) {
      this.response = response;
    }

    private ByteBuf buf() {
      return response ? responseBody : body;
    }

    @Override
    public int length() {
      return buf().readableBytes();
    }

    @Override
    public byte[] toByteArray() {
      return ByteBufUtil.getBytes(buf());
    }

    @Override
    public String toString(Charset charset) {
      return buf().toString(charset);
    }

    @Override
    public ByteBuffer asByteBuffer() {
      return buf().nioBuffer().asReadOnlyBuffer();
    }
  }
}
