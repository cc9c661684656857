package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.Validator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A {@code wasm} filter whose module is a Secret's key: validated against the Secret, each problem naming the field. */
class WasmSecretModuleValidationTest {
  private static final String HEADERS = base64(Plugins.path("headers"));

  private static String base64(Path file) {
    try {
      return Base64.getEncoder().encodeToString(Files.readAllBytes(file));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A Secret {@code plugins} with {@code data}, and a Route {@code r} whose filter is {@code filter}. */
  private static List<String> errors(String data, String filter) throws Exception {
    List<ConfigError> errors = Validator.validate(ObjectCodec.readYaml("r.yaml", """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: plugins}
        spec:
          data: {%s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          directResponse: {status: 200}
          filters: [%s]
        """.formatted(data, filter)));
    return errors.stream().map(e -> e.object() + ": " + e.field() + ": " + e.message()).toList();
  }

  @Test
  void aModuleFromASecretsKeyIsAccepted() throws Exception {
    assertThat(errors("headers.wasm: " + HEADERS,
        "{kind: wasm, config: {secret: {name: plugins, key: headers.wasm}, rootId: headers}}")).isEmpty();
    assertThat(errors("headers.wasm: " + HEADERS, "{kind: wasm, config: {secret: {name: plugins, key: headers.wasm}, rootId: headers, sha256: "
        + Plugins.sha256(Plugins.path("headers")) + "}}")).isEmpty();
  }

  @Test
  void aSecretThatDoesNotExistIsRefusedNamingTheField() throws Exception {
    assertThat(errors("headers.wasm: " + HEADERS, "{kind: wasm, config: {secret: {name: nope, key: headers.wasm}, rootId: headers}}"))
        .containsExactly("Route/r: spec.filters[0].config.secret.name: Secret 'nope' does not exist");
  }

  @Test
  void aKeyTheSecretDoesNotHaveIsRefusedNamingTheKeysItHas() throws Exception {
    assertThat(errors("headers.wasm: " + HEADERS + ", other: aGk=", "{kind: wasm, config: {secret: {name: plugins, key: auth.wasm}, rootId: headers}}"))
        .containsExactly("Route/r: spec.filters[0].config.secret.key: Secret 'plugins' has no key 'auth.wasm' in spec.data;"
            + " expected one of headers.wasm, other");
  }

  @Test
  void bytesThatAreNotAModuleAreRefusedNamingTheSecretsKey() throws Exception {
    String notWasm = Base64.getEncoder().encodeToString("not wasm".getBytes(StandardCharsets.US_ASCII));
    List<String> e = errors("plugin.wasm: " + notWasm, "{kind: wasm, config: {secret: {name: plugins, key: plugin.wasm}}}");
    assertThat(e).hasSize(1);
    assertThat(e.get(0)).startsWith("Route/r: spec.filters[0].config.secret.key: Secret 'plugins' key 'plugin.wasm' is not a valid WebAssembly module: ");
  }

  @Test
  void aValueThatIsNotBase64IsRefusedOnceOnTheSecret() throws Exception {
    assertThat(errors("plugin.wasm: \"%%%\"", "{kind: wasm, config: {secret: {name: plugins, key: plugin.wasm}}}")).containsExactly(
        "Secret/plugins: spec.data.plugin.wasm: not base64 (Illegal base64 character 25); expected the value's bytes in base64 (RFC 4648),"
            + " as 'base64 FILE' prints them");
  }

  @Test
  void aSha256TheSecretsBytesDoNotHaveIsRefused() throws Exception {
    String wrong = "ab".repeat(32);
    assertThat(errors("headers.wasm: " + HEADERS, "{kind: wasm, config: {secret: {name: plugins, key: headers.wasm}, rootId: headers, sha256: "
        + wrong + "}}")).containsExactly("Route/r: spec.filters[0].config.sha256: Secret 'plugins' key 'headers.wasm' has SHA-256 "
            + Plugins.sha256(Plugins.path("headers")) + "; expected " + wrong + " (update sha256 when the module changes, or leave it out)");
  }

  @Test
  void exactlyOneModuleSourceIsAcceptedAndTheSecretNeedsANameAndAKey() throws Exception {
    Path p = Plugins.path("headers");
    assertThat(errors("headers.wasm: " + HEADERS, "{kind: wasm, config: {file: \"" + p + "\", sha256: " + Plugins.sha256(p)
        + ", secret: {name: plugins, key: headers.wasm}}}"))
        .containsExactly("Route/r: spec.filters[0].config.secret: set with file; expected one of file, url and secret");
    assertThat(errors("headers.wasm: " + HEADERS, "{kind: wasm, config: {secret: {}}}")).containsExactly(
        "Route/r: spec.filters[0].config.secret.name: missing; expected the name of a Secret",
        "Route/r: spec.filters[0].config.secret.key: missing; expected a key of the Secret's data, such as plugin.wasm");
  }

  @Test
  void aPluginThatRefusesItsConfigurationFromASecretIsRefused() throws Exception {
    List<String> e = errors("headers.wasm: " + HEADERS, "{kind: wasm, config: {secret: {name: plugins, key: headers.wasm}, rootId: nope}}");
    assertThat(e).hasSize(1);
    assertThat(e.get(0)).startsWith("Route/r: spec.filters[0].config.configuration: the plugin ");
  }
}
