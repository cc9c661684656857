package io.sluice.proxy.accesslog.internal;

/**
 * A listener's access log compiled at apply time: how lines look and where they go. The hot path
 * only checks that one exists and offers entries to the {@link AccessLogWriter}.
 */
public record CompiledAccessLog(AccessLogFormat format, AccessLogSink sink) {}
