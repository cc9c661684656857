package io.sluice.proxy.tracing.internal;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.semconv.ServiceAttributes;
import io.sluice.api.listener.Tracing;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import zipkin2.reporter.urlconnection.URLConnectionSender;

/**
 * One OpenTelemetry tracer provider per distinct exporter (kind, endpoint, service name), shared by
 * the listeners that name it and kept across reloads that keep it. Each exports through a
 * {@link BatchSpanProcessor}: ending a span on an event loop only puts it on the processor's
 * lock-free queue, and its own thread exports batches.
 *
 * <p>Sampling is decided by the gateway before any span exists (see {@link ListenerTracing}), so
 * the providers sample everything they are given.
 *
 * <p>Threading: used by the (serialised) apply and by close.
 */
public final class TracerProviders implements AutoCloseable {
  /** How long a finished span waits at most before its batch is exported. */
  private static final Duration EXPORT_DELAY = Duration.ofSeconds(1);

  private record Key(Tracing.Exporter exporter, String endpoint, String serviceName) {}

  private final Map<Key, SdkTracerProvider> providers = new HashMap<>();

  public synchronized SdkTracerProvider provider(Tracing spec) {
    Key key = new Key(spec.exporter(), spec.effectiveEndpoint(), spec.serviceName());
    return providers.computeIfAbsent(key, TracerProviders::create);
  }

  private static SdkTracerProvider create(Key key) {
    SpanExporter exporter = switch (key.exporter()) {
      case OTLP -> OtlpHttpSpanExporter.builder().setEndpoint(key.endpoint()).build();
      case ZIPKIN -> ZipkinSpanExporter.builder().setSender(URLConnectionSender.create(key.endpoint())).build();
    };
    return SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(ServiceAttributes.SERVICE_NAME, key.serviceName()))))
        .setSampler(Sampler.alwaysOn())
        .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(EXPORT_DELAY).build())
        .build();
  }

  /** Shuts down (after exporting what they hold) the providers no listener in {@code used} names. */
  public synchronized void retainOnly(Set<SdkTracerProvider> used) {
    providers.entrySet().removeIf(e -> {
      if (used.contains(e.getValue())) return false;
      e.getValue().shutdown();
      return true;
    });
  }

  /** Exports what is pending and shuts every provider down, waiting up to 5 s. */
  @Override
  public synchronized void close() {
    for (SdkTracerProvider p : providers.values()) p.shutdown().join(5, TimeUnit.SECONDS);
    providers.clear();
  }
}
