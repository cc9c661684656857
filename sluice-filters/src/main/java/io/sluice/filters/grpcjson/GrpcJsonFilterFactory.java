package io.sluice.filters.grpcjson;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.api.secret.SecretSpec;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filters.grpcjson.Bindings.InvalidBindingsException;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import io.sluice.api.ConfigObject;
import io.sluice.filter.Filter;

/**
 * {@code grpc-json}: lets REST clients call gRPC services with JSON, as Envoy's
 * {@code grpc_json_transcoder}. Configured with a {@code FileDescriptorSet} (a file, or a Secret
 * holding it in base64) and the services it exposes; each unary or server-streaming method is
 * reachable by its {@code google.api.http} rules where the descriptor has them, and always as
 * {@code POST /package.Service/Method} with the request message as the JSON body. See
 * {@link GrpcJsonFilter} for the exchange. The route's Upstream must speak HTTP/2 ({@code h2c},
 * {@code h2} or {@code auto}).
 *
 * <p>The descriptor set is read and every rule checked at validation (a file) or when the
 * configuration is applied (a Secret): an unreadable set, a service not in it or a bad rule is
 * refused naming the field.
 */
public final class GrpcJsonFilterFactory implements FilterFactory<GrpcJsonConfig> {
  @Override
  public String kind() {
    return "grpc-json";
  }

  @Override
  public Class<GrpcJsonConfig> configType() {
    return GrpcJsonConfig.class;
  }

  @Override
  public void validate(GrpcJsonConfig c, Problems problems) {
    if ((c.descriptorSetFile() == null) == (c.descriptorSetSecret() == null)) {
      problems.add("", "expected exactly one of descriptorSetFile (a FileDescriptorSet file) and descriptorSetSecret (a Secret's name)");
      return;
    }
    if (c.serviceList().isEmpty()) {
      problems.add("services", "missing; expected the fully qualified gRPC services to expose, such as [shop.Orders]");
      return;
    }
    String file = c.descriptorSetFile();
    String sha256 = c.descriptorSetSha256();
    if (file == null) {
      if (sha256 != null) problems.add("descriptorSetSha256", "only with descriptorSetFile");
      return; // a Secret is read when the configuration is applied
    }
    if (sha256 == null || !DescriptorFile.isSha256(sha256)) {
      problems.add("descriptorSetSha256", (sha256 == null ? "missing" : "'" + sha256 + "' is not a SHA-256")
          + "; expected the 64 hex digits sha256sum prints for descriptorSetFile");
      return;
    }
    try {
      Bindings.of(DescriptorFile.read(file, sha256), "descriptorSetFile '" + file + "'", c.serviceList());
    } catch (IOException e) {
      problems.add("descriptorSetFile", String.valueOf(e.getMessage()));
    } catch (InvalidBindingsException e) {
      problems.add(e.field().startsWith("descriptorSetFile") ? "descriptorSetFile" : e.field(), String.valueOf(e.getMessage()));
    }
  }

  @Override
  public List<Reference> references(GrpcJsonConfig c) {
    String secret = c.descriptorSetSecret();
    return secret == null ? List.of() : List.of(new Reference("descriptorSetSecret", new ObjectRef(Kind.SECRET, secret)));
  }

  @Override
  public Filter create(GrpcJsonConfig c, FilterEnvironment environment) {
    String file = c.descriptorSetFile();
    String place = environment.owner() + " " + environment.field() + ".config.";
    try {
      Bindings bindings = file != null
          ? Bindings.of(DescriptorFile.read(file, java.util.Objects.requireNonNull(c.descriptorSetSha256())), "descriptorSetFile '" + file + "'", c.serviceList())
          : Bindings.of(readSecret(java.util.Objects.requireNonNull(c.descriptorSetSecret()), environment), "Secret '" + c.descriptorSetSecret() + "'", c.serviceList());
      return new GrpcJsonFilter(bindings);
    } catch (IOException e) {
      throw new IllegalArgumentException(place + (file != null ? "descriptorSetFile: " : "descriptorSetSecret: ") + e.getMessage(), e);
    } catch (InvalidBindingsException e) {
      throw new IllegalArgumentException(place + e.field() + ": " + e.getMessage(), e);
    }
  }

  private static byte[] readSecret(String name, FilterEnvironment environment) throws IOException {
    for (ConfigObject<SecretSpec> s : environment.config().secrets()) {
      if (!s.name().equals(name)) continue;
      String value = s.spec().value();
      if (value == null) throw new IOException("Secret '" + name + "' has no value; expected the FileDescriptorSet in base64");
      try {
        return Base64.getMimeDecoder().decode(value.strip());
      } catch (IllegalArgumentException e) {
        throw new IOException("Secret '" + name + "' value is not base64 (" + e.getMessage() + "); expected the FileDescriptorSet in base64", e);
      }
    }
    throw new IOException("no Secret named '" + name + "'");
  }
}
