package io.sluice.proxy.accesslog.internal;

import org.jspecify.annotations.Nullable;

/**
 * What the access log needs of one exchange, captured on the event loop at its end (references to
 * strings the request already had, and numbers); the line is formatted later, on the writer thread.
 *
 * @param log the listener's compiled log: format and output
 * @param startMillis when the request's first byte arrived, epoch milliseconds
 * @param status the response status; 499 when the client went away before a response
 * @param durationNanos first request byte to last response byte (or to the end of the exchange)
 * @param upstreamNanos upstream time of the last attempt, or -1 when there was none
 * @param upstream the endpoint address of the last attempt
 * @param requestIdHeader the client's X-Request-Id, when it sent one
 * @param consumer the name of the Consumer an authentication filter recognised, or null
 * @param clientCert the subject of the client certificate the listener verified (mTLS), or null
 * @param grpcStatus the {@code grpc-status} a gRPC call ended with, or -1 (not a gRPC call, or none was seen)
 * @param requestIdHigh with {@code requestIdLow}, the X-Request-Id the gateway generated (both 0 when none)
 */
public record AccessLogEntry(
    CompiledAccessLog log,
    long startMillis,
    String listener,
    String client,
    @Nullable String method,
    @Nullable String host,
    @Nullable String path,
    @Nullable String query,
    @Nullable String protocol,
    int status,
    @Nullable String reason,
    long bytesIn,
    long bytesOut,
    long durationNanos,
    long upstreamNanos,
    @Nullable String route,
    @Nullable String upstream,
    @Nullable String requestIdHeader,
    long requestIdHigh,
    long requestIdLow,
    @Nullable String traceId,
    @Nullable String userAgent,
    @Nullable String consumer,
    @Nullable String clientCert,
    int grpcStatus) {}
