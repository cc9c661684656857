package io.sluice.admin;

import static io.sluice.admin.AuthTest.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A Secret's keyed {@code data} reaches editors only: viewers read its keys, each value as {@code <redacted>}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretDataRedactionTest {
  static final String EDITOR_SECRET = "editor-secret-0123456789";
  static final String VIEWER_SECRET = "viewer-secret-0123456789";
  static final String SECRET = """
      apiVersion: sluice.io/v1
      kind: Secret
      metadata:
        name: plugins
      spec:
        data:
          auth.wasm: %s
      """;
  static final String FIRST = "Zmlyc3QtbW9kdWxlLWJ5dGVz";
  static final String SECOND = "c2Vjb25kLW1vZHVsZS1ieXRlcw==";

  @TempDir static Path dir;
  AdminFixture admin;

  @BeforeAll
  void start() {
    admin = new AdminFixture(dir, List.of(
        AdminToken.ofSecret("ci-bot", AdminToken.Role.EDITOR, EDITOR_SECRET),
        AdminToken.ofSecret("dashboard", AdminToken.Role.VIEWER, VIEWER_SECRET)),
        request -> RouteTestResult.noMatch(), Map.of());
    AdminFixture.Res first = admin.post("/api/v1/apply", SECRET.formatted(FIRST), bearer(EDITOR_SECRET, "Content-Type", "application/yaml"));
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    AdminFixture.Res second = admin.put("/api/v1/secrets/plugins", SECRET.formatted(SECOND), bearer(EDITOR_SECRET, "Content-Type", "application/yaml"));
    assertThat(second.status()).as(second.body()).isEqualTo(200);
  }

  @AfterAll
  void stop() {
    admin.close();
  }

  @Test
  void viewerReadsTheKeysOfASecretsDataWithEveryValueRedacted() {
    AdminFixture.Res one = admin.get("/api/v1/secrets/plugins", bearer(VIEWER_SECRET));
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.json().get("spec").toString()).isEqualTo("{\"data\":{\"auth.wasm\":\"<redacted>\"}}");
    for (String path : List.of("/api/v1/objects", "/api/v1/secrets", "/api/v1/secrets/plugins?output=yaml")) {
      AdminFixture.Res read = admin.get(path, bearer(VIEWER_SECRET));
      assertThat(read.status()).isEqualTo(200);
      assertThat(read.body()).as(path).contains("auth.wasm").contains("<redacted>").doesNotContain(FIRST, SECOND);
    }
  }

  @Test
  void viewerReadsHistoryAndDiffsOfASecretsDataRedacted() {
    AdminFixture.Res history = admin.get("/api/v1/secrets/plugins/history", bearer(VIEWER_SECRET));
    assertThat(history.status()).isEqualTo(200);
    JsonNode items = history.json().get("items");
    assertThat(items).hasSize(2);
    for (JsonNode i : items) assertThat(i.at("/object/spec").toString()).isEqualTo("{\"data\":{\"auth.wasm\":\"<redacted>\"}}");

    AdminFixture.Res dry = admin.post("/api/v1/apply?dryRun=true", SECRET.formatted("dGhpcmQ="),
        bearer(VIEWER_SECRET, "Content-Type", "application/yaml"));
    assertThat(dry.status()).as(dry.body()).isEqualTo(200);
    assertThat(dry.body()).doesNotContain(FIRST, SECOND, "dGhpcmQ=");
    AdminFixture.Res rollback = admin.post("/api/v1/secrets/plugins/rollback?dryRun=true", "{\"to\": 1}", bearer(VIEWER_SECRET));
    assertThat(rollback.status()).as(rollback.body()).isEqualTo(200);
    assertThat(rollback.body()).doesNotContain(FIRST, SECOND);
  }

  @Test
  void editorReadsTheValuesOfASecretsData() {
    assertThat(admin.get("/api/v1/secrets/plugins", bearer(EDITOR_SECRET)).json().at("/spec/data/auth.wasm").asText()).isEqualTo(SECOND);
    JsonNode history = admin.get("/api/v1/secrets/plugins/history", bearer(EDITOR_SECRET)).json().get("items");
    assertThat(history.get(0).at("/object/spec/data/auth.wasm").asText()).isEqualTo(FIRST);
  }
}
