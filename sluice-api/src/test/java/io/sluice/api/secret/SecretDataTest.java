package io.sluice.api.secret;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.Validator;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A Secret's keyed {@code data}: its checks, its decoding, and that it alone makes a Secret. */
class SecretDataTest {
  private static List<String> errors(String spec) throws Exception {
    List<ConfigError> errors = Validator.validate(ObjectCodec.readYaml("t.yaml", """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: plugins}
        spec:
        """ + spec.indent(2)), Set.of(), null);
    return errors.stream().map(e -> e.object() + ": " + e.field() + ": " + e.message()).toList();
  }

  @Test
  void aSecretWithOnlyDataIsValidAndItsValuesDecode() throws Exception {
    String text = Base64.getEncoder().encodeToString("\0asm module bytes".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(errors("data:\n  plugin.wasm: " + text + "\n  empty: \"\"\n")).isEmpty();

    var secret = ObjectCodec.readYaml("t.yaml", """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: plugins}
        spec:
          data:
            wrapped: |
              aGVsbG8g
              d29ybGQ=
        """).getFirst();
    SecretSpec spec = (SecretSpec) secret.spec();
    assertThat(new String(SecretData.bytes(spec, "wrapped"), StandardCharsets.US_ASCII)).isEqualTo("hello world");
    assertThat(SecretData.bytes(spec, "absent")).isNull();
  }

  @Test
  void refusesAValueThatIsNotBase64NamingTheKey() throws Exception {
    assertThat(errors("data:\n  plugin.wasm: \"not*base64\"\n")).containsExactly(
        "Secret/plugins: spec.data.plugin.wasm: not base64 (Illegal base64 character 2a); expected the value's bytes in base64"
            + " (RFC 4648), as 'base64 FILE' prints them");
  }

  @Test
  void refusesKeysKubernetesWouldRefuse() throws Exception {
    assertThat(errors("data:\n  \"a/b\": aGk=\n  \"..\": aGk=\n")).containsExactly(
        "Secret/plugins: spec.data.a/b: invalid key 'a/b'; expected letters, digits, '-', '_' and '.' (not '.' or '..'), at most 253"
            + " characters, as a Kubernetes Secret's keys",
        "Secret/plugins: spec.data...: invalid key '..'; expected letters, digits, '-', '_' and '.' (not '.' or '..'), at most 253"
            + " characters, as a Kubernetes Secret's keys");
  }

  @Test
  void refusesMoreThanEightMiBOfDataInOneSecret() {
    // Built in Java, not parsed from YAML: parsing megabytes of YAML would only slow the test.
    String fiveMiB = Base64.getEncoder().encodeToString(new byte[5 << 20]);
    java.util.Map<String, String> data = new java.util.LinkedHashMap<>();
    data.put("a", fiveMiB);
    data.put("b", fiveMiB);
    List<String> problems = new java.util.ArrayList<>();
    SecretData.check(new SecretSpec(null, null, data), (field, message) -> problems.add(field + ": " + message));
    assertThat(problems).containsExactly(
        "spec.data.b: the values decode to more than 8MiB up to this key; expected at most 8MiB in one Secret");
  }

  @Test
  void aModuleOfSeveralMiBCanBeWrittenInYaml() throws Exception {
    // Past SnakeYAML's default limit of 3 Mi code points per document.
    String threeMiB = Base64.getEncoder().encodeToString(new byte[3 << 20]);
    assertThat(errors("data:\n  plugin.wasm: " + threeMiB + "\n")).isEmpty();
  }

  @Test
  void refusesMoreThanSixtyFourKeys() throws Exception {
    StringBuilder data = new StringBuilder("data:\n");
    for (int i = 0; i < 65; i++) data.append("  k").append(i).append(": aGk=\n");
    assertThat(errors(data.toString())).containsExactly("Secret/plugins: spec.data: 65 keys; expected at most 64");
  }

  @Test
  void refusesTheRedactedPlaceholderAsAValue() throws Exception {
    assertThat(errors("data:\n  plugin.wasm: <redacted>\n")).containsExactly(
        "Secret/plugins: spec.data.plugin.wasm: is <redacted>, the placeholder a viewer reads in place of a credential;"
            + " give the credential itself");
  }

  @Test
  void aSecretWithNothingNamesDataAmongWhatItExpects() throws Exception {
    assertThat(errors("{}")).containsExactly(
        "Secret/plugins: spec.tls: missing; expected certificate and privateKey (or certificateFile and privateKeyFile), or ca;"
            + " or value (a shared secret); or data (keyed base64 values)");
  }
}
