package io.sluice.proxy.tracing.internal;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.sluice.api.listener.Tracing;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener's tracing compiled at apply time: its tracer, sampling ratio, and the propagation
 * formats it reads from clients and writes to upstreams.
 *
 * @param provider the provider behind {@code tracer}, to keep it alive while in use
 * @param extractors formats tried in order on a request; the first that finds a context wins
 * @param injector writes every configured format
 * @param headerNames the (lower-case) headers whose presence means a request carries a context
 */
public record ListenerTracing(
    SdkTracerProvider provider, Tracer tracer, double samplingRatio, List<TextMapPropagator> extractors,
    TextMapPropagator injector, List<String> headerNames) {

  public static ListenerTracing compile(Tracing spec, TracerProviders providers) {
    SdkTracerProvider p = providers.provider(spec);
    List<TextMapPropagator> formats = new ArrayList<>();
    List<String> headers = new ArrayList<>();
    for (Tracing.Propagation f : spec.propagation()) {
      switch (f) {
        case W3C -> {
          formats.add(W3CTraceContextPropagator.getInstance());
          headers.add("traceparent");
        }
        case B3 -> {
          formats.add(B3Propagator.injectingSingleHeader());
          headers.add("b3");
        }
        case B3_MULTI -> {
          formats.add(B3Propagator.injectingMultiHeaders());
          headers.add("x-b3-traceid");
        }
      }
    }
    return new ListenerTracing(p, p.get("io.sluice.proxy"), spec.samplingRatio(), List.copyOf(formats),
        TextMapPropagator.composite(formats), List.copyOf(headers));
  }
}
