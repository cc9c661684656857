package io.sluice.proxy.tracing.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.semconv.ClientAttributes;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.NetworkAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import io.opentelemetry.semconv.UserAgentAttributes;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.upstream.Endpoint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The spans of the exchange in progress on one client connection: a SERVER span for the request and
 * a CLIENT span per upstream attempt (a retry is another client span under the same server span).
 *
 * <p>Sampling is decided before anything is created: a request whose incoming context (W3C or B3)
 * says sampled or not follows it; one without a context is sampled with the route's (or listener's)
 * ratio. An unsampled request creates no span, no context object and no header: its trace headers,
 * if any, are forwarded as received. A sampled one replaces every trace header the client sent with
 * the client span's context.
 *
 * <p>Threading: one instance per client connection, used only on its event loop. Ending a span hands
 * it to the provider's batch processor; export happens on the processor's thread.
 */
public final class ExchangeTrace {
  /** Every header a propagation format may use: all are removed from a request whose context the gateway replaces. */
  private static final List<String> PROPAGATION_HEADERS = List.of("traceparent", "tracestate", "b3", "x-b3-traceid",
      "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags");
  private static final TextMapGetter<RequestMessage> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(RequestMessage carrier) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < carrier.headerCount(); i++) keys.add(carrier.headerName(i).toLowerCase(Locale.ROOT));
      return keys;
    }

    @Override
    public @Nullable String get(@Nullable RequestMessage carrier, String key) {
      return carrier == null ? null : carrier.header(key.toLowerCase(Locale.ROOT));
    }
  };
  private static final TextMapSetter<ByteBuf> SETTER = (buf, key, value) -> {
    if (buf == null) return;
    buf.writeCharSequence(key, StandardCharsets.ISO_8859_1);
    buf.writeByte(':').writeByte(' ');
    buf.writeCharSequence(value, StandardCharsets.ISO_8859_1);
    buf.writeByte('\r').writeByte('\n');
  };
  /** Epoch nanoseconds minus System.nanoTime(): span timestamps from the monotonic times the proxy keeps. */
  private static final long EPOCH_OFFSET = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()) - System.nanoTime();

  private @Nullable ListenerTracing tracing;
  private @Nullable Span server;
  private @Nullable Span client;
  private int attempts;

  /**
   * Decides whether the request is traced and if so starts its server span.
   *
   * @param ratio the route's sampling ratio, or NaN for the listener's
   * @param httpRoute the route's path pattern ({@code /users/{id}}, {@code /api/*}), or null
   * @return true when the request is traced
   */
  public boolean start(ListenerTracing t, double ratio, RequestMessage h, String listener, @Nullable String route,
      @Nullable String httpRoute, long startNanoTime) {
    Context parent = null;
    for (String name : t.headerNames()) {
      if (h.header(name) != null) {
        parent = extract(t, h);
        break;
      }
    }
    boolean sampled;
    if (parent != null) {
      sampled = Span.fromContext(parent).getSpanContext().isSampled();
    } else {
      double r = Double.isNaN(ratio) ? t.samplingRatio() : ratio;
      sampled = r >= 1 || (r > 0 && ThreadLocalRandom.current().nextDouble() < r);
    }
    if (!sampled) return false;
    tracing = t;
    attempts = 0;
    String method = h.method();
    SpanBuilder b = t.tracer().spanBuilder(httpRoute == null ? method : method + " " + httpRoute)
        .setSpanKind(SpanKind.SERVER)
        .setStartTimestamp(EPOCH_OFFSET + startNanoTime, TimeUnit.NANOSECONDS)
        .setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, method)
        .setAttribute(UrlAttributes.URL_PATH, h.path())
        .setAttribute(UrlAttributes.URL_SCHEME, h.scheme())
        .setAttribute(NetworkAttributes.NETWORK_PROTOCOL_NAME, "http")
        .setAttribute(NetworkAttributes.NETWORK_PROTOCOL_VERSION, h.protocol().substring("HTTP/".length()))
        .setAttribute(ServerAttributes.SERVER_ADDRESS, h.host())
        .setAttribute(ClientAttributes.CLIENT_ADDRESS, h.clientIp())
        .setAttribute("sluice.listener", listener);
    int port = portOf(h.authority());
    if (port > 0) b.setAttribute(ServerAttributes.SERVER_PORT, (long) port);
    if (httpRoute != null) b.setAttribute(HttpAttributes.HTTP_ROUTE, httpRoute);
    if (route != null) b.setAttribute("sluice.route", route);
    String ua = h.header("user-agent");
    if (ua != null) b.setAttribute(UserAgentAttributes.USER_AGENT_ORIGINAL, ua);
    if (parent != null) b.setParent(parent); else b.setNoParent();
    server = b.startSpan();
    return true;
  }

  private static @Nullable Context extract(ListenerTracing t, RequestMessage h) {
    for (TextMapPropagator p : t.extractors()) {
      Context c = p.extract(Context.root(), h, GETTER);
      SpanContext sc = Span.fromContext(c).getSpanContext();
      if (sc.isValid()) return c;
    }
    return null;
  }

  private static int portOf(String authority) {
    int colon = authority.lastIndexOf(':');
    if (colon < 0 || authority.endsWith("]")) return -1;
    try {
      return Integer.parseInt(authority, colon + 1, authority.length(), 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** True while a sampled exchange is in progress. */
  public boolean active() {
    return server != null;
  }

  /**
   * Starts a client span for an upstream attempt and writes its context into {@code head} (an
   * encoded request head ending in an empty line), replacing the client's trace headers. Returns the
   * head to send: {@code head} itself, or a new buffer (then {@code head} has been released).
   */
  public ByteBuf attempt(ByteBuf head, ByteBufAllocator alloc, RequestMessage h, String upstream, Endpoint endpoint,
      long nowNanoTime) {
    Span s = server;
    ListenerTracing t = tracing;
    if (s == null || t == null) return head;
    if (client != null) attemptEnded(0, "upstream_reset", nowNanoTime);
    String address = endpoint.socketAddress().getHostString();
    int port = endpoint.socketAddress().getPort();
    SpanBuilder b = t.tracer().spanBuilder(h.method())
        .setSpanKind(SpanKind.CLIENT)
        .setParent(Context.root().with(s))
        .setStartTimestamp(EPOCH_OFFSET + nowNanoTime, TimeUnit.NANOSECONDS)
        .setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, h.method())
        .setAttribute(ServerAttributes.SERVER_ADDRESS, address)
        .setAttribute(ServerAttributes.SERVER_PORT, (long) port)
        .setAttribute(UrlAttributes.URL_FULL, "http://" + endpoint.address() + target(h))
        .setAttribute(NetworkAttributes.NETWORK_PROTOCOL_VERSION, "1.1")
        .setAttribute("sluice.upstream", upstream);
    if (attempts > 0) b.setAttribute(HttpAttributes.HTTP_REQUEST_RESEND_COUNT, (long) attempts);
    attempts++;
    Span c = b.startSpan();
    client = c;
    ByteBuf out = withoutPropagationHeaders(head, alloc);
    out.writerIndex(out.writerIndex() - 2);
    t.injector().inject(Context.root().with(c), out, SETTER);
    out.writeByte('\r').writeByte('\n');
    return out;
  }

  /** Ends the current attempt's client span. */
  public void attemptEnded(int status, @Nullable String reason, long nowNanoTime) {
    Span c = client;
    if (c == null) return;
    client = null;
    if (status > 0) c.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
    if (reason != null) {
      c.setAttribute(ErrorAttributes.ERROR_TYPE, reason);
      c.setStatus(StatusCode.ERROR, reason);
    } else if (status >= 400) {
      c.setAttribute(ErrorAttributes.ERROR_TYPE, Integer.toString(status));
      c.setStatus(StatusCode.ERROR);
    }
    c.end(EPOCH_OFFSET + nowNanoTime, TimeUnit.NANOSECONDS);
  }

  /**
   * Ends the exchange's spans.
   *
   * @param status the status sent to the client (499 when it went away first)
   * @param reason the gateway's reason code, or null when the upstream's response went through
   */
  public void end(int status, @Nullable String reason, long nowNanoTime) {
    Span s = server;
    if (s == null) return;
    attemptEnded(status, reason, nowNanoTime);
    server = null;
    tracing = null;
    s.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
    if (reason != null) {
      s.setAttribute("sluice.reason", reason);
      s.setAttribute(ErrorAttributes.ERROR_TYPE, reason);
    }
    if (status >= 500) {
      if (reason == null) s.setAttribute(ErrorAttributes.ERROR_TYPE, Integer.toString(status));
      s.setStatus(StatusCode.ERROR, reason == null ? "" : reason);
    }
    s.end(EPOCH_OFFSET + nowNanoTime, TimeUnit.NANOSECONDS);
  }

  /** The trace id of the exchange in progress, or null when it is not traced. */
  public @Nullable String traceId() {
    Span s = server;
    return s == null ? null : s.getSpanContext().getTraceId();
  }

  /** The head without the trace headers the client sent: {@code head} itself when it has none. */
  /** The request's path and query as the exchange routed them (the path normalised). */
  private static String target(RequestMessage h) {
    String q = h.query();
    return q == null ? h.path() : h.path() + "?" + q;
  }

  private static ByteBuf withoutPropagationHeaders(ByteBuf head, ByteBufAllocator alloc) {
    int start = head.readerIndex();
    int end = head.writerIndex();
    int lineStart = head.indexOf(start, end, (byte) '\n') + 1;
    boolean found = false;
    for (int i = lineStart; i < end; ) {
      int eol = head.indexOf(i, end, (byte) '\n');
      if (eol < 0 || eol - i <= 1) break;
      if (isPropagationHeader(head, i, eol)) {
        found = true;
        break;
      }
      i = eol + 1;
    }
    if (!found) return head;
    ByteBuf out = alloc.ioBuffer(head.readableBytes() + 128);
    out.writeBytes(head, start, lineStart - start);
    for (int i = lineStart; i < end; ) {
      int eol = head.indexOf(i, end, (byte) '\n');
      int next = eol < 0 ? end : eol + 1;
      if (!(eol >= 0 && eol - i > 1 && isPropagationHeader(head, i, eol))) out.writeBytes(head, i, next - i);
      i = next;
    }
    head.release();
    return out;
  }

  private static boolean isPropagationHeader(ByteBuf b, int from, int eol) {
    int colon = b.indexOf(from, eol, (byte) ':');
    if (colon < 0) return false;
    for (String name : PROPAGATION_HEADERS) {
      if (colon - from != name.length()) continue;
      boolean same = true;
      for (int k = 0; k < name.length() && same; k++) {
        int c = b.getByte(from + k);
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        same = c == name.charAt(k);
      }
      if (same) return true;
    }
    return false;
  }
}
