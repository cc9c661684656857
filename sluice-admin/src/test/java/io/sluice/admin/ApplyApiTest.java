package io.sluice.admin;

import static io.sluice.admin.AdminFixture.docs;
import static io.sluice.admin.AdminFixture.route;
import static io.sluice.admin.AdminFixture.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApplyApiTest {
  @TempDir Path dir;
  AdminFixture admin;

  @BeforeEach
  void start() {
    admin = new AdminFixture(dir);
  }

  @AfterEach
  void stop() {
    admin.close();
  }

  @Test
  void multiDocumentYamlIsAppliedAsOneRevisionWithDiffs() {
    AdminFixture.Res r = admin.post("/api/v1/apply?message=first",
        docs(route("hello", "/hello", "echo"), upstream("echo", "127.0.0.1:9001")), "Content-Type", "application/yaml");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode a = r.json();
    assertThat(a.get("revision").asLong()).isEqualTo(1);
    assertThat(a.get("dryRun").asBoolean()).isFalse();
    assertThat(a.get("changes")).hasSize(2);
    assertThat(a.at("/changes/0/kind").asText()).isEqualTo("Upstream");
    assertThat(a.at("/changes/0/name").asText()).isEqualTo("echo");
    assertThat(a.at("/changes/0/op").asText()).isEqualTo("created");
    assertThat(a.at("/changes/0/diff").asText()).isEqualTo("""
        --- Upstream/echo (none)
        +++ Upstream/echo@1
        @@ -0,0 +1,17 @@
        +apiVersion: sluice.io/v1
        +kind: Upstream
        +metadata:
        +  name: echo
        +spec:
        +  endpoints:
        +    - address: 127.0.0.1:9001
        +      weight: 1
        +  loadBalancer:
        +    policy: round-robin
        +    hashOn: client-ip
        +  timeouts:
        +    connect: 5s
        +    response: 1m
        +  pool:
        +    maxConnectionsPerEndpoint: 1024
        +    idleTimeout: 1m
        """);
    assertThat(a.at("/changes/1/kind").asText()).isEqualTo("Route");
    assertThat(admin.store.revision()).isEqualTo(1);
    assertThat(admin.store.revisions(0, 10).getFirst().message()).isEqualTo("first");
    assertThat(admin.store.revisions(0, 10).getFirst().author()).isEqualTo("local");

    AdminFixture.Res again = admin.post("/api/v1/apply",
        docs(route("hello", "/hello", "echo"), upstream("echo", "127.0.0.1:9002")), "Content-Type", "application/yaml");
    JsonNode b = again.json();
    assertThat(b.get("revision").asLong()).isEqualTo(2);
    assertThat(b.at("/changes/0/op").asText()).isEqualTo("updated");
    assertThat(b.at("/changes/0/diff").asText()).isEqualTo("""
        --- Upstream/echo@1
        +++ Upstream/echo@2
        @@ -4,7 +4,7 @@
           name: echo
         spec:
           endpoints:
        -    - address: 127.0.0.1:9001
        +    - address: 127.0.0.1:9002
               weight: 1
           loadBalancer:
             policy: round-robin
        """);
    assertThat(b.at("/changes/1/op").asText()).isEqualTo("unchanged");
    assertThat(b.at("/changes/1/diff").asText()).isEmpty();
  }

  @Test
  void jsonArrayAndConcatenatedJsonObjectsAreChangeSetsToo() {
    String up = """
        {"apiVersion":"sluice.io/v1","kind":"Upstream","metadata":{"name":"echo"},"spec":{"endpoints":[{"address":"127.0.0.1:9001"}]}}""";
    String rt = """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},"spec":{"upstream":"echo"}}""";
    AdminFixture.Res array = admin.post("/api/v1/apply", "[" + up + "," + rt + "]", "Content-Type", "application/json");
    assertThat(array.status()).as(array.body()).isEqualTo(200);
    assertThat(array.json().get("changes")).hasSize(2);
    AdminFixture.Res concatenated = admin.post("/api/v1/apply", up + "\n" + rt.replace("hello", "hello2"));
    assertThat(concatenated.status()).as(concatenated.body()).isEqualTo(200);
    assertThat(concatenated.json().get("revision").asLong()).isEqualTo(2);
    assertThat(concatenated.json().at("/changes/0/op").asText()).isEqualTo("unchanged");
    assertThat(concatenated.json().at("/changes/1/op").asText()).isEqualTo("created");
  }

  @Test
  void changeSetWithOneBadObjectAppliesNothing() {
    long rev = admin.apply(upstream("echo", "127.0.0.1:9001"));
    String bad = """
        apiVersion: sluice.io/v1
        kind: Route
        metadata:
          name: broken
        spec:
          match:
            path:
              regex: "(["
          upstream: echo
        """;
    AdminFixture.Res r = admin.post("/api/v1/apply",
        docs(upstream("echo", "127.0.0.1:9002"), upstream("more", "127.0.0.1:9003"), bad), "Content-Type", "application/yaml");
    assertThat(r.status()).isEqualTo(422);
    JsonNode e = r.json();
    assertThat(e.get("error").asText()).isEqualTo("invalid");
    assertThat(e.get("errors")).hasSize(1);
    assertThat(e.at("/errors/0/source").asText()).isEqualTo("<api>:24:7");
    assertThat(e.at("/errors/0/object").asText()).isEqualTo("Route/broken");
    assertThat(e.at("/errors/0/field").asText()).isEqualTo("spec.match.path.regex");
    assertThat(e.get("message").asText()).startsWith("the configuration was refused: <api>:24:7: Route/broken: spec.match.path.regex: ");
    assertThat(admin.store.revision()).isEqualTo(rev);
    assertThat(admin.get("/api/v1/upstreams/more").status()).isEqualTo(404);
    assertThat(admin.get("/api/v1/upstreams/echo").json().at("/spec/endpoints/0/address").asText()).isEqualTo("127.0.0.1:9001");
  }

  @Test
  void fieldErrorsOfTheCodecAreInvalidWithTheirLine() {
    String typo = """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata:
          name: echo
        spec:
          endpointz: []
        """;
    AdminFixture.Res r = admin.post("/api/v1/apply", typo, "Content-Type", "application/yaml");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().at("/errors/0/source").asText()).isEqualTo("<api>:6");
    assertThat(r.json().at("/errors/0/object").asText()).isEqualTo("Upstream/echo");
    assertThat(r.json().at("/errors/0/field").asText()).isEqualTo("spec.endpointz");
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void dryRunReportsWithoutWriting() {
    long rev = admin.apply(upstream("echo", "127.0.0.1:9001"));
    AdminFixture.Res r = admin.post("/api/v1/apply?dryRun=true", upstream("echo", "127.0.0.1:9002"), "Content-Type", "application/yaml");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("dryRun").asBoolean()).isTrue();
    assertThat(r.json().get("revision").asLong()).isEqualTo(rev);
    assertThat(r.json().at("/changes/0/op").asText()).isEqualTo("updated");
    assertThat(r.json().at("/changes/0/diff").asText()).startsWith("--- Upstream/echo@1\n+++ Upstream/echo (new)\n");
    assertThat(admin.store.revision()).isEqualTo(rev);
    assertThat(admin.get("/api/v1/upstreams/echo").json().at("/spec/endpoints/0/address").asText()).isEqualTo("127.0.0.1:9001");
  }

  @Test
  void staleBaseRevisionIsAConflict() {
    admin.apply(upstream("echo", "127.0.0.1:9001"));
    admin.apply(upstream("echo", "127.0.0.1:9002"));
    AdminFixture.Res r = admin.post("/api/v1/apply?baseRevision=1", upstream("echo", "127.0.0.1:9003"), "Content-Type", "application/yaml");
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("reason").asText()).isEqualTo("revision_mismatch");
    assertThat(r.json().get("details").get(0).asText()).isEqualTo("Upstream/echo changed at revision 2, after the base revision 1");
    assertThat(admin.store.revision()).isEqualTo(2);
    assertThat(admin.post("/api/v1/apply?baseRevision=2", upstream("echo", "127.0.0.1:9003"), "Content-Type", "application/yaml").status())
        .isEqualTo(200);
  }

  @Test
  void sameObjectTwiceInOneChangeSetIsInvalid() {
    AdminFixture.Res r = admin.post("/api/v1/apply", docs(upstream("echo", "127.0.0.1:9001"), upstream("echo", "127.0.0.1:9002")),
        "Content-Type", "application/yaml");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().at("/errors/0/source").asText()).isEqualTo("<api>:9");
    assertThat(r.json().at("/errors/0/field").asText()).isEqualTo("metadata.name");
    assertThat(r.json().at("/errors/0/message").asText())
        .isEqualTo("duplicate: Upstream/echo is also at <api>:1; a change set holds each object once");
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void malformedJsonIsABadRequestAndChangesNothing() {
    long rev = admin.apply(upstream("echo", "127.0.0.1:9001"));
    AdminFixture.Res r = admin.post("/api/v1/apply", "{\"apiVersion\": \"sluice.io/v1\", \"kind\": ", "Content-Type", "application/json");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.header("content-type")).isEqualTo("application/json");
    assertThat(r.json().get("error").asText()).isEqualTo("bad_request");
    assertThat(r.json().get("message").asText()).startsWith("the request body is not valid JSON at line 1, column ");
    AdminFixture.Res put = admin.put("/api/v1/upstreams/echo", "{not json");
    assertThat(put.status()).isEqualTo(400);
    AdminFixture.Res yaml = admin.post("/api/v1/apply", "a: [b\n", "Content-Type", "application/yaml");
    assertThat(yaml.status()).isEqualTo(400);
    assertThat(yaml.json().get("message").asText()).startsWith("the request body is not valid YAML");
    assertThat(admin.store.revision()).isEqualTo(rev);
  }

  @Test
  void emptyBodyIsABadRequest() {
    AdminFixture.Res r = admin.post("/api/v1/apply", "");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("message").asText()).isEqualTo("the request body is empty; expected one or more objects");
    AdminFixture.Res comments = admin.post("/api/v1/apply", "# nothing\n---\n", "Content-Type", "application/yaml");
    assertThat(comments.status()).isEqualTo(400);
    assertThat(comments.json().get("message").asText()).isEqualTo("the request body holds no object; expected one or more objects");
  }

  @Test
  void badQueryParametersAreBadRequests() {
    AdminFixture.Res dry = admin.post("/api/v1/apply?dryRun=maybe", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml");
    assertThat(dry.status()).isEqualTo(400);
    assertThat(dry.json().get("message").asText()).isEqualTo("query parameter dryRun must be true or false, got 'maybe'");
    AdminFixture.Res unknown = admin.post("/api/v1/apply?dryrun=true", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().get("message").asText())
        .isEqualTo("unknown query parameter 'dryrun'; POST /api/v1/apply takes baseRevision, canary, canaryAutoAbort, canaryErrorMargin, canaryMinRequests, canaryP99Margin, canaryWindow, dryRun, force, message, output");
    AdminFixture.Res twice = admin.get("/api/v1/revisions?limit=1&limit=2");
    assertThat(twice.status()).isEqualTo(400);
    assertThat(twice.json().get("message").asText()).isEqualTo("query parameter 'limit' is given more than once");
    AdminFixture.Res limit = admin.get("/api/v1/revisions?limit=0");
    assertThat(limit.json().get("message").asText()).isEqualTo("query parameter limit must be from 1 to 1000, got 0");
    AdminFixture.Res revision = admin.delete("/api/v1/upstreams/echo?revision=abc");
    assertThat(revision.status()).isEqualTo(400);
    assertThat(revision.json().get("message").asText()).isEqualTo("query parameter revision must be a whole number 1 or more, got 'abc'");
    AdminFixture.Res output = admin.get("/api/v1/objects?output=xml");
    assertThat(output.status()).isEqualTo(400);
    assertThat(output.json().get("message").asText()).isEqualTo("query parameter output must be json or yaml, got 'xml'");
    assertThat(admin.store.revision()).isZero();
  }
}
