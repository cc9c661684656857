package io.sluice.api.listener;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Distributed tracing of a listener's requests with OpenTelemetry: a server span per request and a
 * client span per upstream attempt, exported in batches.
 *
 * <pre>{@code
 * tracing:
 *   samplingRatio: 0.1            # a route may override it (Route spec.tracing.samplingRatio)
 *   exporter: otlp                # or zipkin
 *   endpoint: http://otel-collector:4318/v1/traces
 *   propagation: [w3c, b3]
 * }</pre>
 *
 * @param samplingRatio the share of requests without a sampled parent that are traced, 0 to 1
 *     (default 1); a request whose incoming trace context says sampled (or not) follows its parent
 * @param exporter {@code otlp} (OTLP over HTTP/protobuf, default) or {@code zipkin} (Zipkin v2 JSON)
 * @param endpoint where spans go; default {@code http://127.0.0.1:4318/v1/traces} for otlp,
 *     {@code http://127.0.0.1:9411/api/v2/spans} for zipkin
 * @param propagation trace context formats read from the client (the first one found wins) and written
 *     to the upstream: {@code w3c} (traceparent/tracestate), {@code b3} (single header), {@code b3multi}
 *     (X-B3-*); default {@code [w3c]}
 * @param serviceName the {@code service.name} of the spans (default {@code sluice})
 */
public record Tracing(
    Double samplingRatio, Exporter exporter, @Nullable String endpoint, List<Propagation> propagation, String serviceName) {

  public Tracing {
    samplingRatio = samplingRatio == null ? 1.0 : samplingRatio;
    exporter = exporter == null ? Exporter.OTLP : exporter;
    propagation = propagation == null || propagation.isEmpty() ? List.of(Propagation.W3C) : List.copyOf(propagation);
    serviceName = serviceName == null ? "sluice" : serviceName;
  }

  /** {@code endpoint}, or the exporter's default. */
  public String effectiveEndpoint() {
    if (endpoint != null) return endpoint;
    return exporter == Exporter.OTLP ? "http://127.0.0.1:4318/v1/traces" : "http://127.0.0.1:9411/api/v2/spans";
  }

  /** Span exporters. */
  public enum Exporter {
    OTLP("otlp"),
    ZIPKIN("zipkin");

    private final String configName;

    Exporter(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static Exporter fromConfigName(String name) {
      for (Exporter e : values()) {
        if (e.configName.equals(name)) return e;
      }
      throw new IllegalArgumentException("unknown tracing exporter '" + name + "', expected otlp or zipkin");
    }
  }

  /** Trace context formats. */
  public enum Propagation {
    W3C("w3c"),
    B3("b3"),
    B3_MULTI("b3multi");

    private final String configName;

    Propagation(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static Propagation fromConfigName(String name) {
      for (Propagation p : values()) {
        if (p.configName.equals(name)) return p;
      }
      throw new IllegalArgumentException("unknown propagation '" + name + "', expected w3c, b3 or b3multi");
    }
  }
}
