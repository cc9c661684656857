package io.sluice.api.listener;

import io.sluice.api.ByteSize;
import io.sluice.api.Spec;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A port the gateway accepts HTTP/1.1 connections on.
 *
 * <pre>{@code
 * spec:
 *   address: 127.0.0.1:8080
 *   limits: {maxHeaderSize: 16KiB, maxUriLength: 8192, maxBodySize: 10MiB, maxConnections: 10000, requestBuffer: 64KiB}
 *   timeouts: {idle: 60s, headerRead: 10s, drain: 30s, filter: 30s, handshake: 10s}
 *   accessLog: {format: json, file: {path: /var/log/sluice/access.log}}
 *   tracing: {samplingRatio: 0.1, exporter: otlp, endpoint: http://collector:4318/v1/traces}
 *   nodeSelector: {zone: a}
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
 */
public record ListenerSpec(
    String address, Limits limits, Timeouts timeouts, @Nullable AccessLog accessLog, @Nullable Tracing tracing,
    @Nullable ListenerTls tls, Map<String, String> nodeSelector)
    implements Spec {
  public ListenerSpec {
    limits = limits == null ? Limits.DEFAULT : limits;
    timeouts = timeouts == null ? Timeouts.DEFAULT : timeouts;
    // A null key or value is reported by validation, naming the field, rather than thrown here.
    nodeSelector = nodeSelector == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(nodeSelector));
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
}
