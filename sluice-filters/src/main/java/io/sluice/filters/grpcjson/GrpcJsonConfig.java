package io.sluice.filters.grpcjson;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code grpc-json} filter's config: where the descriptors are and which services are exposed.
 * Exactly one of {@code descriptorSetFile} and {@code descriptorSetSecret} is set.
 *
 * @param descriptorSetFile a binary {@code FileDescriptorSet} (protoc {@code --descriptor_set_out
 *     --include_imports}), an absolute path or one relative to the gateway's working directory
 * @param descriptorSetSha256 the SHA-256 of {@code descriptorSetFile} as 64 hex digits (as
 *     {@code sha256sum} prints it); required with it: the file is used only if it matches
 * @param descriptorSetSecret the name of a Secret whose {@code value} is the {@code FileDescriptorSet}
 *     in base64
 * @param services the fully qualified gRPC services exposed as JSON ({@code package.Service}); each
 *     must be in the descriptor set
 */
public record GrpcJsonConfig(@Nullable String descriptorSetFile, @Nullable String descriptorSetSha256, @Nullable String descriptorSetSecret,
    @Nullable List<String> services) {
  /** The services, empty when left out. */
  public List<String> serviceList() {
    return services == null ? List.of() : services;
  }
}
