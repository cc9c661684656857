package io.sluice.admin;

import static io.sluice.admin.AuthTest.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangeReviewApiTest {
  static final String ALICE = "alice-editor-secret-0123";
  static final String BOB = "bob-reviewer-secret-0123";
  static final String CAROL = "carol-reviewer-secret-012";
  static final String DAVE = "dave-viewer-secret-01234";
  static final String ROOT = "root-admin-secret-012345";
  static final List<AdminToken> TOKENS = List.of(
      AdminToken.ofSecret("alice", AdminToken.Role.EDITOR, ALICE),
      AdminToken.ofSecret("bob", AdminToken.Role.REVIEWER, BOB),
      AdminToken.ofSecret("carol", AdminToken.Role.REVIEWER, CAROL),
      AdminToken.ofSecret("dave", AdminToken.Role.VIEWER, DAVE),
      AdminToken.ofSecret("root", AdminToken.Role.ADMIN, ROOT));

  @TempDir Path dir;
  AdminFixture admin;
  final List<String> events = new CopyOnWriteArrayList<>();

  void start(boolean required, int approvals) {
    admin = new AdminFixture(dir, TOKENS, b -> b.changeReview(new ChangeReview(required, approvals))
        .events((type, data) -> events.add(type + " " + data.get("id") + " by " + data.get("by"))));
  }

  @AfterEach
  void stop() {
    if (admin != null) admin.close();
  }

  static String upstream(String name, int port) {
    return """
        {"apiVersion": "sluice.io/v1", "kind": "Upstream", "metadata": {"name": "%s"},
         "spec": {"endpoints": [{"address": "127.0.0.1:%d"}]}}""".formatted(name, port);
  }

  static String proposal(String title, String... objects) {
    return "{\"title\": \"" + title + "\", \"description\": \"why " + title + "\", \"objects\": [" + String.join(",", objects) + "]}";
  }

  AdminFixture.Res post(String secret, String path, String body) {
    return admin.post(path, body, bearer(secret));
  }

  long propose(String secret, String title, String... objects) {
    AdminFixture.Res r = post(secret, "/api/v1/changes", proposal(title, objects));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("id").asLong();
  }

  @Test
  void applyIsRefusedWhileReviewIsRequiredPointingAtPropose() {
    start(true, 1);
    AdminFixture.Res r = admin.post("/api/v1/apply", AdminFixture.upstream("echo", "127.0.0.1:9001"),
        bearer(ROOT, "Content-Type", "application/yaml"));
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("reason").asText()).isEqualTo("review_required");
    assertThat(r.json().get("message").asText()).isEqualTo("change review is on: the configuration changes only through approved"
        + " change requests. Propose this change instead: sluice propose -f FILE --title TITLE (POST /api/v1/changes)");
    AdminFixture.Res dryRun = admin.post("/api/v1/apply?dryRun=true", AdminFixture.upstream("echo", "127.0.0.1:9001"),
        bearer(ALICE, "Content-Type", "application/yaml"));
    assertThat(dryRun.status()).isEqualTo(200);
    assertThat(admin.delete("/api/v1/upstreams/echo", bearer(ALICE)).json().get("reason").asText()).isEqualTo("review_required");
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void aProposalIsValidatedAtOnceWithTheFieldNamedAndNothingIsStored() {
    start(true, 1);
    AdminFixture.Res r = post(ALICE, "/api/v1/changes", proposal("bad", """
        {"apiVersion": "sluice.io/v1", "kind": "Upstream", "metadata": {"name": "echo"}, "spec": {"endpointz": []}}"""));
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().at("/errors/0/object").asText()).isEqualTo("Upstream/echo");
    assertThat(r.json().at("/errors/0/field").asText()).isEqualTo("spec.endpointz");
    AdminFixture.Res viewer = post(DAVE, "/api/v1/changes", proposal("by a viewer", upstream("echo", 9001)));
    assertThat(viewer.status()).isEqualTo(403);
    assertThat(admin.get("/api/v1/changes", bearer(DAVE)).json().get("items")).isEmpty();
  }

  @Test
  void theAuthorCannotApproveTheirOwnChangeEvenAsAdmin() {
    start(true, 1);
    long id = propose(ROOT, "add echo", upstream("echo", 9001));
    AdminFixture.Res r = post(ROOT, "/api/v1/changes/" + id + "/approve", "{\"comment\": \"fine\"}");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().get("reason").asText()).isEqualTo("self_approval");
    assertThat(r.json().get("message").asText()).isEqualTo("change 1 was proposed by root; its approvals must come from other reviewers");
    AdminFixture.Res editor = post(ALICE, "/api/v1/changes/" + id + "/approve", "{}");
    assertThat(editor.status()).isEqualTo(403);
    assertThat(admin.get("/api/v1/changes/" + id, bearer(DAVE)).json().get("state").asText()).isEqualTo("open");
  }

  @Test
  void approvalsAreCountedAndThePublishedRevisionLinksProposerAndApprovers() {
    start(true, 2);
    long id = propose(ALICE, "add echo", upstream("echo", 9001));
    JsonNode shown = admin.get("/api/v1/changes/" + id, bearer(DAVE)).json();
    assertThat(shown.get("state").asText()).isEqualTo("open");
    assertThat(shown.get("baseRevision").asLong()).isZero();
    assertThat(shown.at("/changes/0/op").asText()).isEqualTo("created");
    assertThat(shown.at("/changes/0/diff").asText()).startsWith("--- Upstream/echo (none)\n+++ Upstream/echo (new)\n")
        .contains("+kind: Upstream\n", "+    - address: 127.0.0.1:9001\n");

    assertThat(post(BOB, "/api/v1/changes/1/approve", "{\"comment\": \"ok\"}").json().get("state").asText()).isEqualTo("open");
    AdminFixture.Res twice = post(BOB, "/api/v1/changes/1/approve", "{}");
    assertThat(twice.status()).isEqualTo(409);
    assertThat(twice.json().get("reason").asText()).isEqualTo("already_approved");
    AdminFixture.Res early = post(ALICE, "/api/v1/changes/1/publish", "{}");
    assertThat(early.status()).isEqualTo(409);
    assertThat(early.json().get("message").asText()).isEqualTo("change 1 has 1 of 2 approvals; it is published once approved");
    AdminFixture.Res byReviewer = post(CAROL, "/api/v1/changes/1/publish", "{}");
    assertThat(byReviewer.status()).isEqualTo(403);

    JsonNode approved = post(CAROL, "/api/v1/changes/1/approve", "{\"comment\": \"lgtm\"}").json();
    assertThat(approved.get("state").asText()).isEqualTo("approved");
    assertThat(approved.get("approvals").asInt()).isEqualTo(2);
    AdminFixture.Res published = post(ALICE, "/api/v1/changes/1/publish", "{}");
    assertThat(published.status()).as(published.body()).isEqualTo(200);
    assertThat(published.json().get("state").asText()).isEqualTo("published");
    assertThat(published.json().get("publishedRevision").asLong()).isEqualTo(1);
    assertThat(admin.store.revision()).isEqualTo(1);

    JsonNode revision = admin.get("/api/v1/revisions", bearer(DAVE)).json().at("/items/0");
    assertThat(revision.get("author").asText()).isEqualTo("alice");
    assertThat(revision.get("message").asText()).isEqualTo("change 1: add echo (proposed by alice; approved by bob, carol; published by alice)");
    assertThat(revision.get("change")).isEqualTo(AdminFixture.JSON.valueToTree(Map.of("id", 1, "title", "add echo",
        "proposedBy", "alice", "approvedBy", List.of("bob", "carol"), "publishedBy", "alice")));
    JsonNode history = admin.get("/api/v1/upstreams/echo/history", bearer(DAVE)).json().at("/items/0");
    assertThat(history.at("/change/approvedBy")).hasSize(2);
    assertThat(post(ALICE, "/api/v1/changes/1/publish", "{}").json().get("reason").asText()).isEqualTo("already_published");
    assertThat(events).containsExactly("change.proposed 1 by alice", "change.approved 1 by bob", "change.approved 1 by carol",
        "change.published 1 by alice");
  }

  @Test
  void aStaleBaseIsRefusedUntilRebasedWhichAsksForApprovalsAgain() {
    start(false, 1);
    long id = propose(ALICE, "add echo", upstream("echo", 9001));
    assertThat(post(BOB, "/api/v1/changes/" + id + "/approve", "{}").json().get("state").asText()).isEqualTo("approved");
    assertThat(admin.post("/api/v1/apply", AdminFixture.upstream("other", "127.0.0.1:9002"),
        bearer(ROOT, "Content-Type", "application/yaml")).status()).isEqualTo(200);

    AdminFixture.Res stale = post(ALICE, "/api/v1/changes/1/publish", "{}");
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.json().get("reason").asText()).isEqualTo("stale_base");
    assertThat(stale.json().get("message").asText()).isEqualTo("change 1 is based on revision 0 but the configuration is at"
        + " revision 1: rebase it (sluice rebase 1, POST /api/v1/changes/1/rebase), which checks it again and asks for approvals again");
    assertThat(admin.get("/api/v1/changes", bearer(DAVE)).json().at("/items/0/stale").asBoolean()).isTrue();

    JsonNode rebased = post(ALICE, "/api/v1/changes/1/rebase", "{}").json();
    assertThat(rebased.get("state").asText()).isEqualTo("open");
    assertThat(rebased.get("baseRevision").asLong()).isEqualTo(1);
    assertThat(rebased.get("approvals").asInt()).isZero();
    assertThat(rebased.get("stale").asBoolean()).isFalse();
    assertThat(post(ALICE, "/api/v1/changes/1/publish", "{}").json().get("reason").asText()).isEqualTo("not_approved");
    post(BOB, "/api/v1/changes/1/approve", "{}");
    AdminFixture.Res published = post(ALICE, "/api/v1/changes/1/publish", "{}");
    assertThat(published.status()).as(published.body()).isEqualTo(200);
    assertThat(admin.store.revision()).isEqualTo(2);
  }

  @Test
  void aRejectedChangeIsNeverPublished() {
    start(true, 1);
    long id = propose(ALICE, "add echo", upstream("echo", 9001));
    AdminFixture.Res silent = post(BOB, "/api/v1/changes/" + id + "/reject", "{}");
    assertThat(silent.status()).isEqualTo(400);
    assertThat(silent.json().get("message").asText()).isEqualTo("a rejection needs a comment saying why (sluice reject 1 -m TEXT)");
    JsonNode rejected = post(BOB, "/api/v1/changes/1/reject", "{\"comment\": \"wrong port\"}").json();
    assertThat(rejected.get("state").asText()).isEqualTo("rejected");
    assertThat(rejected.at("/reviews/0/comment").asText()).isEqualTo("wrong port");
    assertThat(post(CAROL, "/api/v1/changes/1/approve", "{}").json().get("reason").asText()).isEqualTo("change_closed");
    AdminFixture.Res publish = post(ALICE, "/api/v1/changes/1/publish", "{}");
    assertThat(publish.status()).isEqualTo(409);
    assertThat(publish.json().get("reason").asText()).isEqualTo("change_rejected");
    assertThat(publish.json().get("message").asText())
        .isEqualTo("change 1 was rejected by bob (wrong port); a rejected change is never published: propose a new one");
    assertThat(admin.store.revision()).isZero();
    assertThat(admin.get("/api/v1/changes?state=rejected", bearer(DAVE)).json().get("items")).hasSize(1);
  }
}
