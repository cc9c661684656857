package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.store.Membership;
import io.sluice.store.NodeRecord;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/nodes} and a node that refuses writes (a fleet's data plane). */
class FleetApiTest {
  private static final String EDITOR = "editor-secret";
  private static final String VIEWER = "viewer-secret";
  private static final List<AdminToken> TOKENS = List.of(AdminToken.ofSecret("ci", AdminToken.Role.EDITOR, EDITOR),
      AdminToken.ofSecret("dashboard", AdminToken.Role.VIEWER, VIEWER));

  private static NodeRecord node(long applied) {
    return new NodeRecord("edge-a", "127.0.0.1:9901", "data-plane", "1.2.3", Map.of("zone", "a"), applied, null,
        AdminFixture.STARTED);
  }

  @Test
  void nodesListsEachNodeWithItsLagAndSaysWhetherTheFleetConverged(@TempDir Path dir) {
    Membership fleet = Membership.local();
    fleet.publish(node(0));
    try (AdminFixture admin = new AdminFixture(dir, List.of(), b -> b.membership(fleet))) {
      admin.apply(AdminFixture.upstream("echo", "127.0.0.1:9000"));
      AdminFixture.Res r = admin.get("/api/v1/nodes");
      assertThat(r.status()).isEqualTo(200);
      long uptime = r.json().get("items").get(0).get("uptimeSeconds").asLong();
      assertThat(uptime).isGreaterThan(0);
      assertThat(r.body()).isEqualTo("{\"storeRevision\":1,\"canary\":null,\"items\":[{\"id\":\"edge-a\",\"address\":\"127.0.0.1:9901\","
          + "\"role\":\"data-plane\",\"version\":\"1.2.3\",\"labels\":{\"zone\":\"a\"},\"appliedRevision\":0,\"lag\":1,"
          + "\"lastApplyError\":null,\"startedAt\":\"2025-01-02T03:04:05Z\",\"uptimeSeconds\":" + uptime + ",\"canary\":null,\"servedCanary\":null}],\"converged\":false}");
      fleet.publish(node(1));
      assertThat(admin.get("/api/v1/nodes").json().get("converged").asBoolean()).isTrue();
      assertThat(admin.get("/api/v1/nodes").json().get("items").get(0).get("lag").asLong()).isZero();
    }
  }

  @Test
  void withoutAMembershipTheFleetIsThisNode(@TempDir Path dir) {
    try (AdminFixture admin = new AdminFixture(dir)) {
      AdminFixture.Res r = admin.get("/api/v1/nodes");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().get("items").findValuesAsText("id")).containsExactly("node-1");
      assertThat(r.json().get("items").get(0).get("role").asText()).isEqualTo("all");
      assertThat(r.json().get("converged").asBoolean()).isTrue();
    }
  }

  @Test
  void aNodeThatRefusesWritesAnswers403WithWhereWritesGoAfterAuthenticationAndTheRoleCheck(@TempDir Path dir) {
    String why = "node edge-a is a data plane (--role data-plane) and takes no writes; send them to the control plane at http://127.0.0.1:9900";
    try (AdminFixture admin = new AdminFixture(dir, TOKENS, b -> b.refuseWrites(() -> why))) {
      String body = AdminFixture.upstream("echo", "127.0.0.1:9000");
      String[] yaml = {"Content-Type", "application/yaml"};
      assertThat(admin.post("/api/v1/apply", body, yaml).status()).isEqualTo(401);
      AdminFixture.Res viewer = admin.post("/api/v1/apply", body, "Content-Type", "application/yaml", "Authorization", "Bearer " + VIEWER);
      assertThat(viewer.status()).isEqualTo(403);
      assertThat(viewer.json().has("reason")).isFalse();
      AdminFixture.Res editor = admin.post("/api/v1/apply", body, "Content-Type", "application/yaml", "Authorization", "Bearer " + EDITOR);
      assertThat(editor.status()).isEqualTo(403);
      assertThat(editor.body()).isEqualTo("{\"error\":\"forbidden\",\"message\":\"" + why + "\",\"reason\":\"read_only_node\",\"details\":[]}");
      assertThat(admin.delete("/api/v1/upstreams/echo", "Authorization", "Bearer " + EDITOR).json().get("reason").asText())
          .isEqualTo("read_only_node");
      assertThat(admin.store.revision()).isZero();
      // Dry runs and reads write nothing: served.
      assertThat(admin.post("/api/v1/apply?dryRun=true", body, "Content-Type", "application/yaml", "Authorization", "Bearer " + EDITOR)
          .status()).isEqualTo(200);
      assertThat(admin.get("/api/v1/status", "Authorization", "Bearer " + VIEWER).status()).isEqualTo(200);
      assertThat(admin.get("/api/v1/nodes", "Authorization", "Bearer " + VIEWER).status()).isEqualTo(200);
    }
  }
}
