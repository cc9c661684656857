package io.sluice.admin;

import static io.sluice.admin.AdminFixture.docs;
import static io.sluice.admin.AdminFixture.upstream;
import static io.sluice.admin.AuthTest.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Credentials (Consumer keys and passwords, filter secrets) reach editors only; viewers read them as {@code <redacted>}. */
class RedactionTest {
  static final String EDITOR_SECRET = "editor-secret-0123456789";
  static final String VIEWER_SECRET = "viewer-secret-0123456789";
  static final String HMAC = "0123456789abcdef0123456789abcdef";

  static final String CONSUMER = """
      apiVersion: sluice.io/v1
      kind: Consumer
      metadata:
        name: alice
      spec:
        keyAuth: {key: %s}
        basicAuth: {username: alice, password: %s}
      """;

  static final String ROUTE = """
      apiVersion: sluice.io/v1
      kind: Route
      metadata:
        name: api
      spec:
        match:
          path: {prefix: /}
        upstream: echo
        filters:
          - kind: jwt
            config:
              issuers: [{issuer: https://id.example.com, secret: %s}]
      """.formatted(HMAC);

  @TempDir Path dir;
  AdminFixture admin;

  @BeforeEach
  void start() {
    admin = new AdminFixture(dir, List.of(
        AdminToken.ofSecret("ci-bot", AdminToken.Role.EDITOR, EDITOR_SECRET),
        AdminToken.ofSecret("dashboard", AdminToken.Role.VIEWER, VIEWER_SECRET)),
        request -> RouteTestResult.noMatch(), Map.of());
    AdminFixture.Res setup = admin.post("/api/v1/apply",
        docs(upstream("echo", "127.0.0.1:9001"), CONSUMER.formatted("key-one-0123456789", "first-password"), ROUTE),
        bearer(EDITOR_SECRET, "Content-Type", "application/yaml"));
    assertThat(setup.status()).as(setup.body()).isEqualTo(200);
    AdminFixture.Res change = admin.put("/api/v1/consumers/alice", CONSUMER.formatted("key-two-0123456789", "second-password"),
        bearer(EDITOR_SECRET, "Content-Type", "application/yaml"));
    assertThat(change.status()).as(change.body()).isEqualTo(200);
  }

  @AfterEach
  void stop() {
    admin.close();
  }

  @Test
  void viewerReadsConsumerCredentialsAsRedacted() {
    AdminFixture.Res one = admin.get("/api/v1/consumers/alice", bearer(VIEWER_SECRET));
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.json().get("spec").toString())
        .isEqualTo("{\"keyAuth\":{\"key\":\"<redacted>\"},\"basicAuth\":{\"username\":\"alice\",\"password\":\"<redacted>\"}}");

    for (String path : List.of("/api/v1/objects", "/api/v1/consumers")) {
      AdminFixture.Res list = admin.get(path, bearer(VIEWER_SECRET));
      assertThat(list.status()).isEqualTo(200);
      assertThat(list.body()).doesNotContain("key-two", "second-password", HMAC).contains("\"key\":\"<redacted>\"");
    }
    AdminFixture.Res yaml = admin.get("/api/v1/consumers/alice?output=yaml", bearer(VIEWER_SECRET));
    assertThat(yaml.body()).contains("key: <redacted>", "password: <redacted>").doesNotContain("key-two", "second-password");
  }

  @Test
  void viewerReadsFilterSecretsAsRedacted() {
    AdminFixture.Res route = admin.get("/api/v1/routes/api", bearer(VIEWER_SECRET));
    assertThat(route.status()).isEqualTo(200);
    assertThat(route.json().at("/spec/filters/0/config").toString())
        .isEqualTo("{\"issuers\":[{\"issuer\":\"https://id.example.com\",\"secret\":\"<redacted>\"}]}");
  }

  @Test
  void viewerReadsHistoryWithCredentialsRedacted() {
    AdminFixture.Res history = admin.get("/api/v1/consumers/alice/history", bearer(VIEWER_SECRET));
    assertThat(history.status()).isEqualTo(200);
    JsonNode items = history.json().get("items");
    assertThat(items).hasSize(2);
    for (JsonNode i : items) {
      assertThat(i.at("/object/spec").toString())
          .isEqualTo("{\"keyAuth\":{\"key\":\"<redacted>\"},\"basicAuth\":{\"username\":\"alice\",\"password\":\"<redacted>\"}}");
    }
  }

  @Test
  void viewerDryRunDiffShowsNoCredential() {
    AdminFixture.Res dry = admin.post("/api/v1/apply?dryRun=true",
        CONSUMER.formatted("key-three-0123456789", "third-password").replace("username: alice", "username: alice2"),
        bearer(VIEWER_SECRET, "Content-Type", "application/yaml"));
    assertThat(dry.status()).as(dry.body()).isEqualTo(200);
    assertThat(dry.json().at("/changes/0/diff").asText()).isEqualTo("""
        --- Consumer/alice@2
        +++ Consumer/alice (new)
        @@ -6,5 +6,5 @@
           keyAuth:
             key: <redacted>
           basicAuth:
        -    username: alice
        +    username: alice2
             password: <redacted>
        """);

    AdminFixture.Res rollback = admin.post("/api/v1/consumers/alice/rollback?dryRun=true", "{\"to\": 1}", bearer(VIEWER_SECRET));
    assertThat(rollback.status()).as(rollback.body()).isEqualTo(200);
    assertThat(rollback.body()).doesNotContain("key-one", "key-two", "first-password", "second-password");
  }

  @Test
  void editorReadsEveryCredential() {
    AdminFixture.Res one = admin.get("/api/v1/consumers/alice", bearer(EDITOR_SECRET));
    assertThat(one.json().get("spec").toString()).isEqualTo(
        "{\"keyAuth\":{\"key\":\"key-two-0123456789\"},\"basicAuth\":{\"username\":\"alice\",\"password\":\"second-password\"}}");
    assertThat(admin.get("/api/v1/routes/api", bearer(EDITOR_SECRET)).json().at("/spec/filters/0/config/issuers/0/secret").asText())
        .isEqualTo(HMAC);
    JsonNode history = admin.get("/api/v1/consumers/alice/history", bearer(EDITOR_SECRET)).json().get("items");
    assertThat(history.get(0).at("/object/spec/basicAuth/password").asText()).isEqualTo("first-password");
    assertThat(history.get(1).at("/object/spec/basicAuth/password").asText()).isEqualTo("second-password");
    AdminFixture.Res dry = admin.post("/api/v1/apply?dryRun=true", CONSUMER.formatted("key-three-0123456789", "third-password"),
        bearer(EDITOR_SECRET, "Content-Type", "application/yaml"));
    assertThat(dry.json().at("/changes/0/diff").asText()).contains("-    key: key-two-0123456789", "+    key: key-three-0123456789",
        "-    password: second-password", "+    password: third-password");
  }
}
