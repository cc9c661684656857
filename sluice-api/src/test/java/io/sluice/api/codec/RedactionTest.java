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
}
