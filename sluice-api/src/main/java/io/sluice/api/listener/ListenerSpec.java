package io.sluice.api.listener;

import io.sluice.api.ByteSize;
import io.sluice.api.Spec;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A port the gateway accepts HTTP/1.1 and HTTP/2 connections on.
 *
 * <pre>{@code
 * spec:
 *   address: 127.0.0.1:8080
 *   limits: {maxHeaderSize: 16KiB, maxUriLength: 8192, maxBodySize: 10MiB, maxConnections: 10000, requestBuffer: 64KiB}
 *   timeouts: {idle: 60s, headerRead: 10s, drain: 30s, filter: 30s, handshake: 10s}
 *   accessLog: {format: json, file: {path: /var/log/sluice/access.log}}
 *   tracing: {samplingRatio: 0.1, exporter: otlp, endpoint: http://collector:4318/v1/traces}
 *   nodeSelector: {zone: a}
 *   protocols: [http1, h2c]
 *   http2: {maxConcurrentStreams: 100, maxHeaderListSize: 16KiB, initialWindowSize: 64KiB, maxFrameSize: 16KiB}
 * }</pre>
 *
 * @param address {@code host:port} to bind; IPv6 as {@code [::1]:8080}; required
 * @param limits request limits; defaults apply to what is left out
 * @param timeouts connection timeouts; defaults apply to what is left out
 * @param accessLog the access log; left out means none
 * @param tracing OpenTelemetry tracing; left out means none
 * @param tls HTTPS: the certificates served; left out means plain HTTP
 * @param nodeSelector the node labels ({@code sluice serve --node-label KEY=VALUE}) a node must carry,
 *     each with the value given, to bind this listener; empty (left out) means every node that
 *     serves traffic ({@link NodeLabels})
 * @param protocols the protocols the listener serves: {@code http1} (HTTP/1.0 and 1.1), {@code h2c}
 *     (HTTP/2 over plain TCP, with prior knowledge: told apart from HTTP/1.1 by its connection
 *     preface) on a plain listener, {@code h2} (HTTP/2 over TLS, chosen by ALPN) on a TLS one;
 *     left out means {@code [http1, h2c]} on a plain listener and {@code [h2, http1]} on a TLS one.
 *     On TLS the order is the gateway's preference in ALPN: the first that the client offers too is
 *     chosen (this list replaces {@code tls.alpn})
 * @param http2 HTTP/2 limits; defaults apply to what is left out
 */
public record ListenerSpec(
    String address, Limits limits, Timeouts timeouts, @Nullable AccessLog accessLog, @Nullable Tracing tracing,
    @Nullable ListenerTls tls, Map<String, String> nodeSelector, @Nullable List<String> protocols,
    @Nullable Http2 http2)
    implements Spec {
  /** {@link #protocols}: HTTP/1.0 and HTTP/1.1. */
  public static final String HTTP1 = "http1";
  /** {@link #protocols}: HTTP/2 over TLS, chosen by ALPN. */
  public static final String H2 = "h2";
  /** {@link #protocols}: HTTP/2 over plain TCP with prior knowledge. */
  public static final String H2C = "h2c";

  public ListenerSpec {
    limits = limits == null ? Limits.DEFAULT : limits;
    timeouts = timeouts == null ? Timeouts.DEFAULT : timeouts;
    // A null key or value is reported by validation, naming the field, rather than thrown here.
    nodeSelector = nodeSelector == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(nodeSelector));
    // Left out stays null, so that a listener is written back as it was given.
    protocols = protocols == null ? null : Collections.unmodifiableList(new java.util.ArrayList<>(protocols));
  }

  /** A listener without protocols or HTTP/2 settings of its own (the defaults). */
  public ListenerSpec(String address, Limits limits, Timeouts timeouts, @Nullable AccessLog accessLog,
      @Nullable Tracing tracing, @Nullable ListenerTls tls, Map<String, String> nodeSelector) {
    this(address, limits, timeouts, accessLog, tracing, tls, nodeSelector, null, null);
  }

  /** {@link #protocols}, or the default for a plain or TLS listener when it is left out. */
  public List<String> protocolsOrDefault() {
    List<String> p = protocols;
    if (p != null) return p;
    return tls == null ? List.of(HTTP1, H2C) : List.of(H2, HTTP1);
  }

  /** {@link #http2}, or the defaults when it is left out. */
  public Http2 http2OrDefault() {
    return http2 == null ? Http2.DEFAULT : http2;
  }

  /** A listener every node binds. */
  public ListenerSpec(String address, Limits limits, Timeouts timeouts, @Nullable AccessLog accessLog,
      @Nullable Tracing tracing, @Nullable ListenerTls tls) {
    this(address, limits, timeouts, accessLog, tracing, tls, Map.of());
  }

  /** Whether a node with {@code labels} binds this listener: it carries every label of {@link #nodeSelector()}. */
  public boolean selects(Map<String, String> labels) {
    return NodeLabels.matches(nodeSelector, labels);
  }

  /** A plain HTTP listener. */
  public ListenerSpec(String address, Limits limits, Timeouts timeouts, @Nullable AccessLog accessLog,
      @Nullable Tracing tracing) {
    this(address, limits, timeouts, accessLog, tracing, null);
  }

  /** A plain HTTP listener without access log and tracing. */
  public ListenerSpec(String address, Limits limits, Timeouts timeouts) {
    this(address, limits, timeouts, null, null, null);
  }

  /**
   * @param maxHeaderSize the request line and header block together, beyond it 431 (default 16KiB)
   * @param maxUriLength the request target, beyond it 414 (default 8192)
   * @param maxBodySize the request body, beyond it 413; left out means no limit (bodies are streamed)
   * @param maxConnections open downstream connections; beyond it new connections are closed at once (default 10000)
   * @param maxHeaderCount header fields in one request, beyond it 431 (default 100)
   * @param requestBuffer how much of a request body is read into memory before an upstream
   *     connection is taken for it (default 64KiB; 0 turns request buffering off): a client that
   *     sends its body slowly then holds no upstream connection while it does, and a body that fits
   *     can be sent again on another connection. A longer body streams once this much is buffered.
   */
  public record Limits(
      ByteSize maxHeaderSize,
      Integer maxUriLength,
      @Nullable ByteSize maxBodySize,
      Integer maxConnections,
      Integer maxHeaderCount,
      ByteSize requestBuffer) {
    /** The default of {@link #requestBuffer}. */
    public static final ByteSize DEFAULT_REQUEST_BUFFER = ByteSize.ofKiB(64);
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final Limits DEFAULT = new Limits(null, null, null, null, null, null);

    public Limits {
      maxHeaderSize = maxHeaderSize == null ? ByteSize.ofKiB(16) : maxHeaderSize;
      maxUriLength = maxUriLength == null ? 8192 : maxUriLength;
      maxConnections = maxConnections == null ? 10_000 : maxConnections;
      maxHeaderCount = maxHeaderCount == null ? 100 : maxHeaderCount;
      requestBuffer = requestBuffer == null ? DEFAULT_REQUEST_BUFFER : requestBuffer;
    }

    /** Limits with the default request buffer. */
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public Limits(ByteSize maxHeaderSize, Integer maxUriLength, @Nullable ByteSize maxBodySize, Integer maxConnections,
        Integer maxHeaderCount) {
      this(maxHeaderSize, maxUriLength, maxBodySize, maxConnections, maxHeaderCount, null);
    }
  }

  /**
   * @param idle a keep-alive connection with no request in progress is closed after this (default 60s)
   * @param headerRead a request head must arrive completely within this from its first byte, else 408
   *     and close: the slow-loris guard (default 10s)
   * @param drain on shutdown, in-flight requests get this long to finish (default 30s)
   * @param filter how long a filter's async result may keep its phase waiting; past it the client
   *     gets 504 {@code filter_timeout} and the result is ignored (default 30s, at most 10m)
   * @param handshake on a TLS listener, the TLS handshake must be done within this from the
   *     accept, else the connection closes; null (left out) is {@link #DEFAULT_HANDSHAKE}, and is kept
   *     null so that plain listeners are written back without it
   */
  public record Timeouts(Duration idle, Duration headerRead, Duration drain, Duration filter,
      @Nullable Duration handshake) {
    /** The default of {@link #filter}. */
    public static final Duration DEFAULT_FILTER = Duration.ofSeconds(30);
    /** The handshake timeout when none is given. */
    public static final Duration DEFAULT_HANDSHAKE = Duration.ofSeconds(10);
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final Timeouts DEFAULT = new Timeouts(null, null, null, null, null);

    public Timeouts {
      idle = idle == null ? Duration.ofSeconds(60) : idle;
      headerRead = headerRead == null ? Duration.ofSeconds(10) : headerRead;
      drain = drain == null ? Duration.ofSeconds(30) : drain;
      filter = filter == null ? DEFAULT_FILTER : filter;
    }

    /** Timeouts with the default filter and handshake timeouts. */
    @SuppressWarnings("NullAway") // a null filter takes its default in the compact constructor
    public Timeouts(Duration idle, Duration headerRead, Duration drain) {
      this(idle, headerRead, drain, null, null);
    }

    /** {@link #handshake}, or the default when it is left out. */
    public Duration handshakeOrDefault() {
      return handshake == null ? DEFAULT_HANDSHAKE : handshake;
    }
  }

  /**
   * HTTP/2 settings and protections of a listener (for {@code h2} and {@code h2c} connections).
   *
   * @param maxConcurrentStreams streams a client may have open on one connection at once
   *     (SETTINGS_MAX_CONCURRENT_STREAMS); a stream beyond it is refused (default 100)
   * @param maxHeaderListSize the decoded header list of a request, names and values with 32 bytes
   *     each (SETTINGS_MAX_HEADER_LIST_SIZE); beyond it the stream is answered 431 or reset, and a
   *     header block far beyond it (HPACK bomb, CONTINUATION flood) closes the connection (default 16KiB)
   * @param initialWindowSize the flow-control window of each request body (SETTINGS_INITIAL_WINDOW_SIZE):
   *     what a client may send on a stream before the gateway has passed it on (default 64KiB)
   * @param maxFrameSize the largest frame payload the gateway accepts (SETTINGS_MAX_FRAME_SIZE,
   *     16KiB to 16MiB - 1 byte; default 16KiB)
   * @param maxResets streams a client may reset (RST_STREAM) within {@code resetWindow}; beyond it
   *     the connection is closed with GOAWAY: the rapid-reset attack, CVE-2023-44487 (default 200)
   * @param resetWindow the window of {@code maxResets} (default 30s)
   * @param maxQueuedControlFrames control frames (SETTINGS and PING acknowledgements, RST_STREAM)
   *     queued for a client that does not read them; beyond it the connection is closed: the SETTINGS
   *     and PING floods (default 10000)
   */
  public record Http2(Integer maxConcurrentStreams, ByteSize maxHeaderListSize, ByteSize initialWindowSize,
      ByteSize maxFrameSize, Integer maxResets, Duration resetWindow, Integer maxQueuedControlFrames) {
    @SuppressWarnings("NullAway") // null components take their defaults in the compact constructor
    public static final Http2 DEFAULT = new Http2(null, null, null, null, null, null, null);

    public Http2 {
      maxConcurrentStreams = maxConcurrentStreams == null ? 100 : maxConcurrentStreams;
      maxHeaderListSize = maxHeaderListSize == null ? ByteSize.ofKiB(16) : maxHeaderListSize;
      initialWindowSize = initialWindowSize == null ? ByteSize.ofKiB(64) : initialWindowSize;
      maxFrameSize = maxFrameSize == null ? ByteSize.ofKiB(16) : maxFrameSize;
      maxResets = maxResets == null ? 200 : maxResets;
      resetWindow = resetWindow == null ? Duration.ofSeconds(30) : resetWindow;
      maxQueuedControlFrames = maxQueuedControlFrames == null ? 10_000 : maxQueuedControlFrames;
    }
  }
}
