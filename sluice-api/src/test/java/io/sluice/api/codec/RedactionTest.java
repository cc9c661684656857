package io.sluice.api.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class RedactionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void anInlinePrivateKeyOfASecretIsRedactedAndItsCertificateAndFilesAreNot() throws Exception {
    JsonNode secret = JSON.readTree("""
        {"apiVersion": "sluice.io/v1", "kind": "Secret", "metadata": {"name": "web"},
         "spec": {"tls": {"certificate": "-----BEGIN CERTIFICATE-----x", "privateKey": "-----BEGIN PRIVATE KEY-----y",
                          "privateKeyFile": "web.key"}}}
        """);

    JsonNode shown = Redaction.redactObject(secret);

    assertThat(shown.at("/spec/tls").toString()).isEqualTo(
        "{\"certificate\":\"-----BEGIN CERTIFICATE-----x\",\"privateKey\":\"<redacted>\",\"privateKeyFile\":\"web.key\"}");
  }

  @Test
  void theConfigOfAFilterWhoseKindNoInstalledValidatorKnowsIsHiddenWhole() throws Exception {
    // sluice-api has no filter validator installed: every filter's kind is unknown here.
    JsonNode route = JSON.readTree("""
        {"apiVersion": "sluice.io/v1", "kind": "Route", "metadata": {"name": "r"},
         "spec": {"upstream": "u", "filters": [{"kind": "plugin-auth", "name": "a", "config": {"apiSecret": "s3cret"}},
                                               {"kind": "cors"}]}}
        """);

    JsonNode shown = Redaction.redactObject(route);

    assertThat(shown.at("/spec/filters").toString())
        .isEqualTo("[{\"kind\":\"plugin-auth\",\"name\":\"a\",\"config\":\"<redacted>\"},{\"kind\":\"cors\"}]");
  }

  @Test
  void theValuesOfASecretsDataAreRedactedAndItsKeysAreNot() throws Exception {
    JsonNode secret = JSON.readTree("""
        {"apiVersion": "sluice.io/v1", "kind": "Secret", "metadata": {"name": "plugins"},
         "spec": {"data": {"auth.wasm": "AGFzbQEAAAA=", "headers.wasm": "AGFzbQ=="}}}
        """);

    JsonNode shown = Redaction.redactObject(secret);

    assertThat(shown.at("/spec").toString())
        .isEqualTo("{\"data\":{\"auth.wasm\":\"<redacted>\",\"headers.wasm\":\"<redacted>\"}}");
  }
}
