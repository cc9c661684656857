package io.sluice.filters.grpcjson;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code grpc-json} filter's config: where the descriptors are and which services are exposed.
 * Exactly one of {@code descriptorSetFile} and {@code descriptorSetSecret} is set.
 *
 * @param descriptorSetFile a binary {@code FileDescriptorSet} file (absolute, or relative to the
 *     gateway's working directory): a regular file (not a link) of at most 16 MiB; read and checked at
 *     validation
 * @param descriptorSetSha256 the file's SHA-256 (64 hex digits, as {@code sha256sum} prints; quote
 *     it in YAML); required with {@code descriptorSetFile}: the file is used only if it matches, so a
 *     configuration change cannot make the gateway read a file its author does not know
 *     (docs/security.md, "Paths")
 * @param descriptorSetSecret instead: a Secret whose {@code value} is the {@code
 *     FileDescriptorSet} in base64 ({@code base64 -w0 things.pb}); checked when the configuration is
 *     applied
 * @param services the fully qualified services to expose ({@code package.Service}); required, each
 *     must be in the set
 */
public record GrpcJsonConfig(@Nullable String descriptorSetFile, @Nullable String descriptorSetSha256, @Nullable String descriptorSetSecret,
    @Nullable List<String> services) {
  /** The services, empty when left out. */
  public List<String> serviceList() {
    return services == null ? List.of() : services;
  }
}
