package io.sluice.admin;

import static io.sluice.admin.AdminFixture.listener;
import static io.sluice.admin.AdminFixture.route;
import static io.sluice.admin.AdminFixture.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ObjectsApiTest {
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

  static Stream<Arguments> kinds() {
    return Stream.of(
        Arguments.of(Kind.UPSTREAM, "upstreams", "echo",
            """
            {"apiVersion":"sluice.io/v1","kind":"Upstream","metadata":{"name":"echo"},"spec":{"endpoints":[{"address":"127.0.0.1:9001"}]}}""",
            """
            {"apiVersion":"sluice.io/v1","kind":"Upstream","metadata":{"name":"echo"},"spec":{"endpoints":[{"address":"127.0.0.1:9002","weight":3}]}}"""),
        Arguments.of(Kind.ROUTE, "routes", "hello",
            """
            {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},"spec":{"match":{"path":{"prefix":"/hello"}},"upstream":"base"}}""",
            """
            {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello","labels":{"team":"shop"}},"spec":{"match":{"path":{"exact":"/hi"}},"upstream":"base"}}"""),
        Arguments.of(Kind.LISTENER, "listeners", "public",
            """
            {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"public"},"spec":{"address":"127.0.0.1:18080"}}""",
            """
            {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"public"},"spec":{"address":"127.0.0.1:18081"}}"""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void createReadReplaceListDeleteEachKind(Kind kind, String plural, String name, String created, String replaced) throws Exception {
    long base = admin.apply(upstream("base", "127.0.0.1:9000"));
    ObjectRef ref = new ObjectRef(kind, name);

    AdminFixture.Res c = admin.post("/api/v1/" + plural, created, "Content-Type", "application/json");
    assertThat(c.status()).as(c.body()).isEqualTo(201);
    assertThat(c.header("content-type")).isEqualTo("application/json");
    assertThat(c.body()).isEqualTo(ObjectCodec.toJson(admin.store.get(ref)));
    assertThat(c.json().at("/metadata/revision").asLong()).isEqualTo(base + 1);

    AdminFixture.Res g = admin.get("/api/v1/" + plural + "/" + name);
    assertThat(g.status()).isEqualTo(200);
    assertThat(g.body()).isEqualTo(c.body());

    AdminFixture.Res p = admin.put("/api/v1/" + plural + "/" + name, replaced);
    assertThat(p.status()).as(p.body()).isEqualTo(200);
    ConfigObject<?> stored = admin.store.get(ref);
    assertThat(stored.metadata().revision()).isEqualTo(base + 2);
    assertThat(p.body()).isEqualTo(ObjectCodec.toJson(stored));
    assertThat(stored.spec()).isEqualTo(ObjectCodec.readJson("t", replaced).getFirst().spec());

    AdminFixture.Res l = admin.get("/api/v1/" + plural);
    assertThat(l.status()).isEqualTo(200);
    JsonNode items = l.json().get("items");
    assertThat(l.json().get("revision").asLong()).isEqualTo(base + 2);
    assertThat(items.findValuesAsText("kind")).containsOnly(kind.displayName());
    assertThat(items.toString()).contains(p.body());

    AdminFixture.Res d = admin.delete("/api/v1/" + plural + "/" + name);
    assertThat(d.status()).isEqualTo(200);
    assertThat(d.body()).isEqualTo("{\"revision\":" + (base + 3) + "}");
    AdminFixture.Res gone = admin.get("/api/v1/" + plural + "/" + name);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.json().get("error").asText()).isEqualTo("not_found");
    assertThat(gone.json().get("message").asText()).isEqualTo(kind.displayName() + "/" + name + " does not exist");
  }

  @Test
  void putCreatesWhenAbsentWith201AndReplacesWith200() {
    AdminFixture.Res created = admin.put("/api/v1/upstreams/echo", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.json().at("/metadata/revision").asLong()).isEqualTo(1);
    AdminFixture.Res same = admin.put("/api/v1/upstreams/echo", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml");
    assertThat(same.status()).isEqualTo(200);
    assertThat(same.json().at("/metadata/revision").asLong()).as("an equal put makes no revision").isEqualTo(1);
    AdminFixture.Res replaced = admin.put("/api/v1/upstreams/echo", upstream("echo", "127.0.0.1:9002"), "Content-Type", "application/yaml");
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(replaced.json().at("/metadata/revision").asLong()).isEqualTo(2);
  }

  @Test
  void yamlBodiesAreReadAndYamlIsWrittenWhenAsked() {
    AdminFixture.Res c = admin.post("/api/v1/upstreams", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml");
    assertThat(c.status()).as(c.body()).isEqualTo(201);
    String yaml = ObjectCodec.toYaml(admin.store.get(new ObjectRef(Kind.UPSTREAM, "echo")));
    assertThat(yaml).contains("revision: 1");

    AdminFixture.Res byAccept = admin.get("/api/v1/upstreams/echo", "Accept", "application/yaml");
    assertThat(byAccept.status()).isEqualTo(200);
    assertThat(byAccept.header("content-type")).isEqualTo("application/yaml; charset=utf-8");
    assertThat(byAccept.body()).isEqualTo(yaml);
    AdminFixture.Res byQuery = admin.get("/api/v1/upstreams/echo?output=yaml");
    assertThat(byQuery.body()).isEqualTo(yaml);
    AdminFixture.Res xYaml = admin.post("/api/v1/upstreams", upstream("other", "127.0.0.1:9003"), "Content-Type", "text/yaml");
    assertThat(xYaml.status()).isEqualTo(201);

    AdminFixture.Res list = admin.get("/api/v1/upstreams?output=yaml");
    assertThat(list.body()).startsWith("revision: 2\nitems:\n  - apiVersion: sluice.io/v1\n    kind: Upstream\n    metadata:\n      name: echo\n      revision: 1\n");
    AdminFixture.Res json = admin.get("/api/v1/upstreams/echo?output=json", "Accept", "application/yaml");
    assertThat(json.header("content-type")).isEqualTo("application/json");
  }

  @Test
  void getEveryObjectListsAllKindsInDependencyOrderAtOneRevision() {
    long rev = admin.apply(AdminFixture.docs(listener("public", "127.0.0.1:18080"), route("hello", "/hello", "echo"),
        upstream("echo", "127.0.0.1:9001")));
    AdminFixture.Res all = admin.get("/api/v1/objects");
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.json().get("revision").asLong()).isEqualTo(rev);
    assertThat(all.json().get("items").findValuesAsText("kind")).containsExactly("Upstream", "Route", "Listener");
  }

  @Test
  void createWithDanglingReferenceIsRefusedNamingTheField() {
    AdminFixture.Res r = admin.post("/api/v1/routes", route("hello", "/hello", "missing"), "Content-Type", "application/yaml");
    assertThat(r.status()).isEqualTo(422);
    JsonNode e = r.json();
    assertThat(e.get("error").asText()).isEqualTo("invalid");
    assertThat(e.get("errors")).hasSize(1);
    assertThat(e.at("/errors/0/object").asText()).isEqualTo("Route/hello");
    assertThat(e.at("/errors/0/field").asText()).isEqualTo("spec.upstream");
    assertThat(e.at("/errors/0/source").asText()).startsWith("<api>:");
    assertThat(e.at("/errors/0/message").asText()).contains("missing");
    assertThat(e.get("details")).hasSize(1);
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void deletingReferencedUpstreamIsRefusedNamingTheRoutes() {
    long rev = admin.apply(AdminFixture.docs(upstream("echo", "127.0.0.1:9001"), route("hello", "/hello", "echo"), route("echo", "/echo", "echo")));
    AdminFixture.Res r = admin.delete("/api/v1/upstreams/echo");
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("error").asText()).isEqualTo("conflict");
    assertThat(r.json().get("reason").asText()).isEqualTo("referenced");
    assertThat(r.json().get("details").get(0).asText()).isEqualTo("Upstream/echo is referred to by Route/echo, Route/hello");
    assertThat(admin.store.revision()).isEqualTo(rev);
    assertThat(admin.get("/api/v1/upstreams/echo").status()).isEqualTo(200);
  }

  @Test
  void compareAndSetMismatchIsAConflictAndChangesNothing() {
    admin.apply(upstream("echo", "127.0.0.1:9001"));
    admin.apply(upstream("echo", "127.0.0.1:9002"));
    String stale = """
        {"apiVersion":"sluice.io/v1","kind":"Upstream","metadata":{"name":"echo","revision":1},"spec":{"endpoints":[{"address":"127.0.0.1:9003"}]}}""";
    AdminFixture.Res r = admin.put("/api/v1/upstreams/echo", stale);
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("reason").asText()).isEqualTo("revision_mismatch");
    assertThat(r.json().get("message").asText()).isEqualTo("Upstream/echo: metadata.revision 1 is not the current revision 2:"
        + " the object changed since it was read; drop metadata.revision to overwrite, or get it again");
    assertThat(admin.store.revision()).isEqualTo(2);

    String current = stale.replace("\"revision\":1", "\"revision\":2");
    AdminFixture.Res ok = admin.put("/api/v1/upstreams/echo", current);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().at("/metadata/revision").asLong()).isEqualTo(3);

    AdminFixture.Res staleDelete = admin.delete("/api/v1/upstreams/echo?revision=2");
    assertThat(staleDelete.status()).isEqualTo(409);
    assertThat(staleDelete.json().get("reason").asText()).isEqualTo("revision_mismatch");
    assertThat(admin.delete("/api/v1/upstreams/echo?revision=3").status()).isEqualTo(200);
  }

  @Test
  void creatingAnExistingObjectIsAConflict() {
    admin.apply(upstream("echo", "127.0.0.1:9001"));
    AdminFixture.Res r = admin.post("/api/v1/upstreams", upstream("echo", "127.0.0.1:9009"), "Content-Type", "application/yaml");
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("reason").asText()).isEqualTo("already_exists");
    assertThat(r.json().get("details").get(0).asText()).isEqualTo("Upstream/echo already exists (revision 1)");
    assertThat(admin.store.revision()).isEqualTo(1);
  }

  @Test
  void bodyWhoseNameOrKindDiffersFromThePathIsInvalid() {
    AdminFixture.Res name = admin.put("/api/v1/upstreams/other", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml");
    assertThat(name.status()).isEqualTo(422);
    assertThat(name.json().at("/errors/0/field").asText()).isEqualTo("metadata.name");
    assertThat(name.json().at("/errors/0/message").asText()).isEqualTo("must be 'other' as in the path /api/v1/upstreams/other, got 'echo'");

    AdminFixture.Res kind = admin.post("/api/v1/routes", upstream("echo", "127.0.0.1:9001"), "Content-Type", "application/yaml");
    assertThat(kind.status()).isEqualTo(422);
    assertThat(kind.json().at("/errors/0/object").asText()).isEqualTo("Upstream/echo");
    assertThat(kind.json().at("/errors/0/field").asText()).isEqualTo("kind");
    assertThat(kind.json().at("/errors/0/message").asText()).isEqualTo("expected Route (the path is /api/v1/routes), got Upstream");
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void bodyWithTwoObjectsOnASingleObjectPathIsABadRequest() {
    AdminFixture.Res r = admin.post("/api/v1/upstreams",
        AdminFixture.docs(upstream("a", "127.0.0.1:9001"), upstream("b", "127.0.0.1:9002")), "Content-Type", "application/yaml");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("message").asText()).isEqualTo("expected one Upstream in the request body, got 2 objects (send several to POST /api/v1/apply)");
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void unknownKindAndUnknownObjectAreNotFound() {
    AdminFixture.Res kind = admin.get("/api/v1/pipelinez/x");
    assertThat(kind.status()).isEqualTo(404);
    assertThat(kind.json().get("message").asText()).isEqualTo("no such kind 'pipelinez' in /api/v1/pipelinez/x; expected one of secrets, plugins, upstreams, functions, consumers, pipelines, routes, listeners, globalfilters, webhooks");
    assertThat(admin.get("/api/v1/pipelinez").status()).isEqualTo(404);
    assertThat(admin.get("/api/v1/routes/nope").status()).isEqualTo(404);
    AdminFixture.Res del = admin.delete("/api/v1/routes/nope");
    assertThat(del.status()).isEqualTo(404);
    assertThat(del.json().get("message").asText()).isEqualTo("Route/nope does not exist");
    AdminFixture.Res hist = admin.get("/api/v1/routes/nope/history");
    assertThat(hist.status()).isEqualTo(404);
    assertThat(hist.json().get("message").asText()).isEqualTo("Route/nope has never existed");
  }

  @Test
  void statusReportsNodeStoreRevisionAndListeners() {
    admin.apply(upstream("echo", "127.0.0.1:9001"));
    AdminFixture.Res r = admin.get("/api/v1/status");
    assertThat(r.status()).isEqualTo(200);
    JsonNode s = r.json();
    assertThat(s.get("nodeId").asText()).isEqualTo("node-1");
    assertThat(s.get("version").asText()).isEqualTo("0.1.0-test");
    assertThat(s.get("storeRevision").asLong()).isEqualTo(1);
    assertThat(s.get("appliedRevision").asLong()).isEqualTo(1);
    assertThat(s.get("startedAt").asText()).isEqualTo("2025-01-02T03:04:05Z");
    assertThat(s.get("uptimeSeconds").asLong()).isPositive();
    assertThat(s.get("listeners").toString())
        .isEqualTo("[{\"name\":\"internal\",\"address\":\"127.0.0.1:8081\"},{\"name\":\"public\",\"address\":\"127.0.0.1:8080\"}]");
  }
}
