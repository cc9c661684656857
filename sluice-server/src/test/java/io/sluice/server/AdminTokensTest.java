package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Roles and tokens through the real CLI: who may write, who may only read, and who may not come in. */
class AdminTokensTest {
  private static final String ROUTE = """
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: guarded}
      spec:
        match:
          path: {exact: /guarded}
        directResponse: {status: 200, body: ok}
      """;

  @Test
  void aViewerReadsButCannotWriteAWrongTokenIsRefusedAndAnEditorsChangesCarryItsName(@TempDir Path dir) throws Exception {
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - name: ci-bot
            role: editor
            token: "editor-secret"
          - name: dashboard
            role: viewer
            token: "viewer-secret"
        """);
    Path route = ControlPlane.write(dir, "route.yaml", ROUTE);
    try (ControlPlane cp = ControlPlane.start("--admin-tokens", tokens.toString())) {
      ServerProcess.Result viewerWrite = cp.sluiceWithToken("viewer-secret", "apply", "-f", route.toString());
      assertThat(viewerWrite.exitCode()).isEqualTo(1);
      assertThat(viewerWrite.stdout()).isEmpty();
      assertThat(viewerWrite.stderrLines()).hasSize(1);
      assertThat(viewerWrite.stderrLines().getFirst()).startsWith("error: 403 forbidden: ").contains("dashboard");

      ServerProcess.Result viewerDryRun = cp.sluiceWithToken("viewer-secret", "diff", "-f", route.toString());
      assertThat(viewerDryRun.exitCode()).as(viewerDryRun.stderr()).isEqualTo(1);
      assertThat(viewerDryRun.stdout()).contains("+++ Route/guarded (new)");

      ServerProcess.Result wrong = cp.sluiceWithToken("not-a-token", "get", "routes");
      assertThat(wrong.exitCode()).isEqualTo(1);
      assertThat(wrong.stderrLines()).hasSize(1);
      assertThat(wrong.stderrLines().getFirst()).startsWith("error: 401 unauthorized: ");
      ServerProcess.Result none = cp.sluice("get", "routes");
      assertThat(none.exitCode()).isEqualTo(1);
      assertThat(none.stderrLines().getFirst()).startsWith("error: 401 unauthorized: ");

      ServerProcess.Result editor = cp.sluiceWithToken("editor-secret", "apply", "-f", route.toString(), "-m", "guard it");
      assertThat(editor.exitCode()).as(editor.stderr()).isZero();
      ServerProcess.Result viewerRead = cp.sluiceWithToken("viewer-secret", "history", "route", "guarded");
      assertThat(viewerRead.exitCode()).as(viewerRead.stderr()).isZero();
      assertThat(viewerRead.stdoutLines().get(1)).matches("1 +\\S+ +ci-bot +created +guard it");
      JsonNode revisions = ControlPlane.JSON.readTree(cp.send("GET", "/api/v1/revisions", null, "viewer-secret").body());
      assertThat(revisions.path("items").get(0).path("author").asText()).isEqualTo("ci-bot");
    }
  }

  @Test
  void aNonLoopbackAdminAddressWithoutTokensRefusesToStartNamingTheFlag(@TempDir Path dir) throws Exception {
    ServerProcess.Result r = ServerProcess.run("serve", "--data-dir", dir.resolve("data").toString(),
        "--admin-address", "0.0.0.0:0");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).hasSize(1);
    assertThat(r.stderrLines().getFirst()).startsWith("sluice serve: --admin-address 0.0.0.0:")
        .contains("not a loopback address", "--admin-tokens");
  }

  @Test
  void aBrokenTokensFileRefusesToStartWithEveryErrorNamed(@TempDir Path dir) throws Exception {
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - name: ci-bot
            role: root
            token: "x"
        """);

    ServerProcess.Result r = ServerProcess.run("serve", "--data-dir", dir.resolve("data").toString(),
        "--admin-address", "127.0.0.1:0", "--admin-tokens", tokens.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).containsExactly(
        tokens + ": tokens[0] (ci-bot): role: expected viewer, editor, reviewer, admin, got 'root'",
        "sluice serve: --admin-tokens " + tokens + " has 1 error(s); not starting");
  }
}
