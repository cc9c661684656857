package io.sluice.proxy.internal;

import io.sluice.proxy.accesslog.internal.CompiledAccessLog;
import io.sluice.proxy.metrics.internal.Meter;
import io.sluice.proxy.tracing.internal.ListenerTracing;
import org.jspecify.annotations.Nullable;

/**
 * What a listener records about its requests, compiled at apply time.
 *
 * @param meter the listener's counters
 * @param accessLog its access log, or null
 * @param tracing its tracing, or null
 * @param writer where access log entries go
 */
record ListenerObservability(
    String name, Meter meter, @Nullable CompiledAccessLog accessLog, @Nullable ListenerTracing tracing,
    io.sluice.proxy.accesslog.internal.AccessLogWriter writer) {}
