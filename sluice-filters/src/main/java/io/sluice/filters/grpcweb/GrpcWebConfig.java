package io.sluice.filters.grpcweb;

/**
 * The {@code grpc-web} filter's config: it has no settings (as Envoy's {@code grpc_web} filter);
 * write {@code config: {}} or leave {@code config} out.
 */
public record GrpcWebConfig() {}
