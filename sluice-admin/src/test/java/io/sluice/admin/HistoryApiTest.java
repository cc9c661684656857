package io.sluice.admin;

import static io.sluice.admin.AdminFixture.docs;
import static io.sluice.admin.AdminFixture.listener;
import static io.sluice.admin.AdminFixture.route;
import static io.sluice.admin.AdminFixture.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.store.RevisionInfo;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryApiTest {
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
  void historyThenDryRunRollbackThenRollbackRestoresTheEarlierSpecAsANewRevision() {
    admin.apply(upstream("echo", "127.0.0.1:9001"));                          // 1
    admin.apply(upstream("echo", "127.0.0.1:9002"));                          // 2
    admin.apply(docs(upstream("echo", "127.0.0.1:9003"), upstream("x", "127.0.0.1:9100"))); // 3
    ObjectRef ref = new ObjectRef(Kind.UPSTREAM, "echo");
    ConfigObject<?> atOne = admin.store.history(ref).getFirst().object();

    AdminFixture.Res h = admin.get("/api/v1/upstreams/echo/history");
    assertThat(h.status()).isEqualTo(200);
    JsonNode items = h.json().get("items");
    assertThat(items).hasSize(3);
    assertThat(items.findValuesAsText("author")).containsExactly("local", "local", "local");
    assertThat(items.get(0).get("revision").asLong()).isEqualTo(1);
    assertThat(items.get(0).get("deleted").asBoolean()).isFalse();
    assertThat(items.get(0).at("/object/spec/endpoints/0/address").asText()).isEqualTo("127.0.0.1:9001");
    assertThat(items.get(0).at("/object/metadata/revision").asLong()).isEqualTo(1);
    assertThat(items.get(2).get("revision").asLong()).isEqualTo(3);
    assertThat(items.get(0).get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");

    AdminFixture.Res dry = admin.post("/api/v1/upstreams/echo/rollback?dryRun=true", "{\"to\":1}");
    assertThat(dry.status()).as(dry.body()).isEqualTo(200);
    assertThat(dry.json().get("dryRun").asBoolean()).isTrue();
    assertThat(dry.json().get("revision").asLong()).isEqualTo(3);
    assertThat(dry.json().at("/changes/0/op").asText()).isEqualTo("updated");
    assertThat(dry.json().at("/changes/0/diff").asText()).isEqualTo("""
        --- Upstream/echo@3
        +++ Upstream/echo (new)
        @@ -4,7 +4,7 @@
           name: echo
         spec:
           endpoints:
        -    - address: 127.0.0.1:9003
        +    - address: 127.0.0.1:9001
               weight: 1
           loadBalancer:
             policy: round-robin
        """);
    assertThat(admin.store.revision()).isEqualTo(3);

    AdminFixture.Res rb = admin.post("/api/v1/upstreams/echo/rollback", "{\"to\":1}");
    assertThat(rb.status()).as(rb.body()).isEqualTo(200);
    assertThat(rb.json().get("revision").asLong()).isEqualTo(4);
    assertThat(rb.json().at("/changes/0/diff").asText()).startsWith("--- Upstream/echo@3\n+++ Upstream/echo@4\n");
    ConfigObject<?> now = admin.store.get(ref);
    assertThat(now.metadata().revision()).isEqualTo(4);
    assertThat(now.spec()).isEqualTo(atOne.spec());
    assertThat(now.metadata().withRevision(0)).isEqualTo(atOne.metadata().withRevision(0));

    JsonNode after = admin.get("/api/v1/upstreams/echo/history").json().get("items");
    assertThat(after).hasSize(4);
    for (int i = 0; i < 3; i++) assertThat(after.get(i)).isEqualTo(items.get(i));
    assertThat(after.get(3).get("message").asText()).isEqualTo("rollback Upstream/echo to revision 1");
    assertThat(admin.get("/api/v1/upstreams/x").status()).as("other objects are untouched").isEqualTo(200);
  }

  @Test
  void rollingAnObjectBackToBeforeItExistedDeletesIt() {
    admin.apply(upstream("a", "127.0.0.1:9001"));                                // 1
    admin.apply(upstream("b", "127.0.0.1:9002"));                                // 2
    AdminFixture.Res r = admin.post("/api/v1/upstreams/b/rollback", "{\"to\":1}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().at("/changes/0/op").asText()).isEqualTo("deleted");
    assertThat(r.json().at("/changes/0/diff").asText()).startsWith("--- Upstream/b@2\n+++ Upstream/b (deleted)\n");
    assertThat(admin.get("/api/v1/upstreams/b").status()).isEqualTo(404);
    AdminFixture.Res back = admin.post("/api/v1/upstreams/b/rollback", "{\"to\":2}");
    assertThat(back.json().at("/changes/0/op").asText()).isEqualTo("created");
    assertThat(admin.get("/api/v1/upstreams/b").json().at("/metadata/revision").asLong()).isEqualTo(4);
  }

  @Test
  void rollbackNeedsATargetRevisionThatExists() {
    admin.apply(upstream("a", "127.0.0.1:9001"));
    AdminFixture.Res missing = admin.post("/api/v1/upstreams/a/rollback", "{}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().get("message").asText()).isEqualTo("to is required; expected {\"to\": REV}, REV the revision to restore (0 to 1)");
    AdminFixture.Res empty = admin.post("/api/v1/upstreams/a/rollback", "", "Content-Type", "application/json");
    assertThat(empty.status()).isEqualTo(400);
    assertThat(empty.json().get("message").asText())
        .isEqualTo("the request body is empty; expected {\"to\": REV}, REV the revision to restore (0 to 1)");
    AdminFixture.Res unknown = admin.post("/api/v1/rollback", "to: 1\nmessage: x\n", "Content-Type", "application/yaml");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().get("message").asText())
        .isEqualTo("unknown field 'message' in the request body; expected {\"to\": REV}, REV the revision to restore (0 to 1)");
    AdminFixture.Res negative = admin.post("/api/v1/rollback", "{\"to\":-1}");
    assertThat(negative.json().get("message").asText()).isEqualTo("to must be a whole number from 0 to 1, got -1");
    AdminFixture.Res future = admin.post("/api/v1/rollback", "{\"to\":7}");
    assertThat(future.status()).isEqualTo(400);
    assertThat(future.json().get("message").asText()).isEqualTo("to is 7, after the store's revision 1");
    assertThat(admin.post("/api/v1/upstreams/never/rollback", "{\"to\":1}").status()).isEqualTo(404);
  }

  @Test
  void wholeConfigRollbackRestoresEveryObjectAsOneRevision() {
    long r1 = admin.apply(docs(upstream("echo", "127.0.0.1:9001"), route("hello", "/hello", "echo")));
    ConfigObject<?> helloThen = admin.store.get(new ObjectRef(Kind.ROUTE, "hello"));
    admin.apply(docs(upstream("v2", "127.0.0.1:9002"), route("hello", "/hello", "v2"), route("new", "/new", "v2"),
        listener("public", "127.0.0.1:18080")));
    AdminFixture.Res del = admin.delete("/api/v1/upstreams/echo");
    assertThat(del.status()).as(del.body()).isEqualTo(200);
    long before = admin.store.revision();

    AdminFixture.Res dry = admin.post("/api/v1/rollback?dryRun=true", "{\"to\":" + r1 + "}");
    assertThat(dry.status()).as(dry.body()).isEqualTo(200);
    assertThat(admin.store.revision()).isEqualTo(before);

    AdminFixture.Res r = admin.post("/api/v1/rollback?message=back%20to%20one", "{\"to\":" + r1 + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("revision").asLong()).isEqualTo(before + 1);
    assertThat(r.json().get("changes").toString()).isEqualTo(dry.json().get("changes").toString()
        .replace(" (new)", "@" + (before + 1)));
    List<String> ops = r.json().get("changes").findValuesAsText("op");
    List<String> names = r.json().get("changes").findValuesAsText("name");
    assertThat(names).containsExactly("echo", "v2", "hello", "new", "public");
    assertThat(ops).containsExactly("created", "deleted", "updated", "deleted", "deleted");

    assertThat(admin.store.snapshot().objects().stream().map(o -> o.ref()).toList()).containsExactly("Upstream/echo", "Route/hello");
    ConfigObject<?> hello = admin.store.get(new ObjectRef(Kind.ROUTE, "hello"));
    assertThat(hello.spec()).isEqualTo(helloThen.spec());
    RevisionInfo last = admin.store.revisions(before, 10).getFirst();
    assertThat(last.message()).isEqualTo("back to one");
    assertThat(last.author()).isEqualTo("local");

    AdminFixture.Res nothing = admin.post("/api/v1/rollback", "{\"to\":" + r1 + "}");
    assertThat(nothing.json().get("revision").asLong()).isEqualTo(before + 1);
    assertThat(nothing.json().get("changes")).isEmpty();
  }

  @Test
  void revisionsLogListsAuthorsMessagesAndObjects() {
    admin.apply(docs(upstream("echo", "127.0.0.1:9001"), route("hello", "/hello", "echo")));
    admin.post("/api/v1/apply?message=move%20echo", upstream("echo", "127.0.0.1:9002"), "Content-Type", "application/yaml");
    admin.delete("/api/v1/routes/hello");
    AdminFixture.Res r = admin.get("/api/v1/revisions");
    assertThat(r.status()).isEqualTo(200);
    JsonNode items = r.json().get("items");
    assertThat(items).hasSize(3);
    assertThat(items.findValuesAsText("revision")).containsExactly("1", "2", "3");
    assertThat(items.findValuesAsText("author")).containsExactly("local", "local", "local");
    assertThat(items.findValuesAsText("message")).containsExactly("", "move echo", "delete Route/hello");
    assertThat(items.get(0).get("objects").toString()).isEqualTo("[\"Upstream/echo\",\"Route/hello\"]");
    assertThat(items.get(2).get("objects").toString()).isEqualTo("[\"Route/hello\"]");

    JsonNode page = admin.get("/api/v1/revisions?after=1&limit=1").json().get("items");
    assertThat(page).hasSize(1);
    assertThat(page.get(0).get("revision").asLong()).isEqualTo(2);
  }
}
