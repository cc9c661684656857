package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.Validator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WasmValidationTest {
  private static List<String> errors(String filter) throws Exception {
    List<ConfigError> errors = Validator.validate(ObjectCodec.readYaml("r.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          directResponse: {status: 200}
          filters: [%s]
        """.formatted(filter)));
    return errors.stream().map(e -> e.object() + ": " + e.field() + ": " + e.message()).toList();
  }

  @Test
  void aModuleWhoseHashDiffersIsRefused() throws Exception {
    Path p = Plugins.path("headers");
    String wrong = "ab".repeat(32);
    assertThat(errors("{kind: wasm, config: {file: \"" + p + "\", sha256: " + wrong + "}}")).containsExactly(
        "Route/r: spec.filters[0].config.file: " + p + " has SHA-256 " + Plugins.sha256(p) + "; expected " + wrong
            + " (update sha256 when the module changes)");
  }

  @Test
  void aFileThatIsNotAProxyWasmModuleIsRefused(@TempDir Path dir) throws Exception {
    Path notWasm = Files.writeString(dir.resolve("x.wasm"), "not wasm");
    List<String> e = errors("{kind: wasm, config: {file: \"" + notWasm + "\", sha256: " + Plugins.sha256(notWasm) + "}}");
    assertThat(e).hasSize(1);
    assertThat(e.get(0)).startsWith("Route/r: spec.filters[0].config.file: " + notWasm + " is not a valid WebAssembly module: ");
  }

  @Test
  void missingFieldsAndBoundsAreNamed() throws Exception {
    assertThat(errors("{kind: wasm, config: {sha256: xyz, cpuBudget: 20s, maxMemory: 1GiB}}")).containsExactly(
        "Route/r: spec.filters[0].config.file: missing; expected the path of a .wasm module (file), its http(s) URL (url), or a Secret's key"
            + " (secret: {name, key})",
        "Route/r: spec.filters[0].config.sha256: 'xyz' is not a SHA-256; expected 64 hex digits, as sha256sum prints them",
        "Route/r: spec.filters[0].config.cpuBudget: PT20S is out of range; expected 1ms to 10s",
        "Route/r: spec.filters[0].config.maxMemory: 1073741824 bytes is out of range; expected 64KiB to 256MiB");
  }

  @Test
  void aPluginThatRefusesItsConfigurationIsRefused() throws Exception {
    // the headers plugin registered its root context as "headers"; another root id finds no factory and traps
    Path p = Plugins.path("headers");
    List<String> e = errors("{kind: wasm, config: {file: \"" + p + "\", sha256: " + Plugins.sha256(p) + ", rootId: nope}}");
    assertThat(e).hasSize(1);
    assertThat(e.get(0)).startsWith("Route/r: spec.filters[0].config.configuration: the plugin ");
  }

  @Test
  void aRustSdkPluginRefusingAnEmptyConfigurationIsRefused() throws Exception {
    Path p = Plugins.path("rust");
    assertThat(errors("{kind: wasm, config: {file: \"" + p + "\", sha256: " + Plugins.sha256(p) + ", rootId: rust}}")).containsExactly(
        "Route/r: spec.filters[0].config.configuration: the plugin's proxy_on_configure refused its configuration");
  }
}
