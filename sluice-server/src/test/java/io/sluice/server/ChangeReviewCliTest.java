package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The change workflow through the CLI against a real {@code sluice serve --change-review}. */
class ChangeReviewCliTest {
  private static final String ALICE = "alice-token-0123456789";
  private static final String BOB = "bob-token-0123456789";

  @TempDir Path dir;

  private static String upstream(String name, int port) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata:
          name: %s
        spec:
          endpoints:
            - address: 127.0.0.1:%d
        """.formatted(name, port);
  }

  @Test
  void proposeApproveRebasePublishAndTheRulesOnTheWay() throws Exception {
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - {name: alice, roles: [editor, reviewer], token: %s}
          - {name: bob, role: reviewer, token: %s}
        """.formatted(ALICE, BOB));
    Path echo = ControlPlane.write(dir, "echo.yaml", upstream("echo", 9001));
    Path other = ControlPlane.write(dir, "other.yaml", upstream("other", 9002));
    try (ControlPlane cp = ControlPlane.start("--admin-tokens", tokens.toString(), "--change-review")) {
      ServerProcess.Result apply = cp.sluiceWithToken(ALICE, "apply", "-f", echo.toString());
      assertThat(apply.exitCode()).isEqualTo(1);
      assertThat(apply.stderrLines()).containsExactly("error: 409 conflict (review_required): change review is on: the configuration"
          + " changes only through approved change requests. Propose this change instead: sluice propose -f FILE --title TITLE"
          + " (POST /api/v1/changes)");

      ServerProcess.Result proposed = cp.sluiceWithToken(ALICE, "propose", "-f", echo.toString(), "--title", "add echo",
          "--description", "the echo service");
      assertThat(proposed.exitCode()).as(proposed.stderr()).isZero();
      assertThat(proposed.stdoutLines()).containsExactly("change 1 proposed: add echo (base revision 0, 1 approval(s) needed)",
          "  Upstream/echo created");
      assertThat(cp.sluiceWithToken(ALICE, "propose", "-f", other.toString(), "--title", "add other").exitCode()).isZero();

      ServerProcess.Result self = cp.sluiceWithToken(ALICE, "approve", "1");
      assertThat(self.exitCode()).isEqualTo(1);
      assertThat(self.stderrLines()).containsExactly(
          "error: 403 forbidden (self_approval): change 1 was proposed by alice; its approvals must come from other reviewers");

      assertThat(cp.sluiceWithToken(BOB, "approve", "1", "-m", "ok").stdoutLines()).containsExactly("change 1: approved (1 of 1 approvals: bob)");
      assertThat(cp.sluiceWithToken(BOB, "approve", "2").exitCode()).isZero();
      ServerProcess.Result noFleet = cp.sluiceWithToken(ALICE, "publish", "2", "--canary", "zone=a");
      assertThat(noFleet.exitCode()).isEqualTo(1);
      assertThat(noFleet.stderrLines()).containsExactly("error: 409 conflict (no_fleet): change 2 cannot be published as a canary:"
          + " this node runs on the embedded store (--data-dir) and has no fleet to canary it on; publish it without --canary, or"
          + " serve the nodes on etcd (--store etcd://...) with data-plane nodes");
      assertThat(cp.sluiceWithToken(ALICE, "publish", "2").stdoutLines()).containsExactly("change 2 published as revision 1");

      ServerProcess.Result stale = cp.sluiceWithToken(ALICE, "publish", "1");
      assertThat(stale.exitCode()).isEqualTo(1);
      assertThat(stale.stderrLines()).containsExactly("error: 409 conflict (stale_base): change 1 is based on revision 0 but the"
          + " configuration is at revision 1: rebase it (sluice rebase 1, POST /api/v1/changes/1/rebase), which checks it again and"
          + " asks for approvals again");
      assertThat(cp.sluiceWithToken(BOB, "changes").stdoutLines()).containsExactly(
          "ID   STATE       TITLE       AUTHOR   APPROVALS   BASE",
          "1    approved    add echo    alice    1/1         0 (stale)",
          "2    published   add other   alice    1/1         0");
      assertThat(cp.sluiceWithToken(ALICE, "rebase", "1").stdoutLines())
          .containsExactly("change 1 is based on revision 1: open (0 of 1 approvals)");
      assertThat(cp.sluiceWithToken(BOB, "approve", "1").exitCode()).isZero();
      assertThat(cp.sluiceWithToken(ALICE, "publish", "1").stdoutLines()).containsExactly("change 1 published as revision 2");

      ServerProcess.Result shown = cp.sluiceWithToken(BOB, "change", "1");
      assertThat(shown.stdoutLines()).startsWith("change 1: add echo", "state:    published (1 of 1 approvals: bob)");
      assertThat(shown.stdoutLines()).contains("published: revision 2 by alice", "    the echo service", "+kind: Upstream");

      JsonNode revision = ControlPlane.JSON.readTree(cp.send("GET", "/api/v1/revisions?after=1", null, BOB).body()).at("/items/0");
      assertThat(revision.get("message").asText()).isEqualTo("change 1: add echo (proposed by alice; approved by bob; published by alice)");
      assertThat(revision.at("/change/approvedBy/0").asText()).isEqualTo("bob");

      assertThat(cp.sluiceWithToken(ALICE, "propose", "--delete", "upstream/other", "--title", "drop other").exitCode()).isZero();
      ServerProcess.Result silent = cp.sluiceWithToken(BOB, "reject", "3");
      assertThat(silent.exitCode()).isEqualTo(2);
      assertThat(cp.sluiceWithToken(BOB, "reject", "3", "-m", "still used").stdoutLines()).containsExactly("change 3: rejected");
      ServerProcess.Result rejected = cp.sluiceWithToken(ALICE, "publish", "3");
      assertThat(rejected.exitCode()).isEqualTo(1);
      assertThat(rejected.stderrLines()).containsExactly("error: 409 conflict (change_rejected): change 3 was rejected by bob"
          + " (still used); a rejected change is never published: propose a new one");
    }
  }

  @Test
  void changeReviewWithoutTokensRefusesToStart() throws Exception {
    ServerProcess.Result r = ServerProcess.run("serve", "--data-dir", dir.resolve("data").toString(),
        "--admin-address", "127.0.0.1:0", "--change-review");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderrLines()).containsExactly("sluice serve: --change-review needs --admin-tokens FILE: without tokens every"
        + " caller is 'local', and nobody may approve their own change");
  }
}
