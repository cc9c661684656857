package io.sluice.admin;

import static io.sluice.admin.AdminFixture.upstream;
import static io.sluice.admin.AuthTest.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolesTest {
  static final String REVIEWER = "reviewer-secret-0123456789";
  static final String ADMIN = "admin-secret-0123456789";
  static final String BOTH = "both-secret-0123456789";

  @TempDir Path dir;
  AdminFixture admin;

  @BeforeEach
  void start() {
    admin = new AdminFixture(dir, List.of(
        AdminToken.ofSecret("rita", AdminToken.Role.REVIEWER, REVIEWER),
        AdminToken.ofSecret("root", AdminToken.Role.ADMIN, ADMIN),
        AdminToken.ofSecret("alice", EnumSet.of(AdminToken.Role.EDITOR, AdminToken.Role.REVIEWER), BOTH)));
  }

  @AfterEach
  void stop() {
    admin.close();
  }

  @Test
  void reviewerReadsButMayNotWriteTheConfiguration() {
    AdminFixture.Res r = admin.post("/api/v1/apply", upstream("echo", "127.0.0.1:9001"),
        bearer(REVIEWER, "Content-Type", "application/yaml"));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().get("message").asText())
        .isEqualTo("token 'rita' has the reviewer role; POST /api/v1/apply needs editor (a viewer may send dryRun=true)");
    assertThat(admin.get("/api/v1/objects", bearer(REVIEWER)).status()).isEqualTo(200);
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void adminAndATokenWithTheEditorRoleAmongOthersWrite() {
    AdminFixture.Res byAdmin = admin.post("/api/v1/apply", upstream("echo", "127.0.0.1:9001"),
        bearer(ADMIN, "Content-Type", "application/yaml"));
    assertThat(byAdmin.status()).as(byAdmin.body()).isEqualTo(200);
    AdminFixture.Res byBoth = admin.post("/api/v1/apply", upstream("other", "127.0.0.1:9002"),
        bearer(BOTH, "Content-Type", "application/yaml"));
    assertThat(byBoth.status()).as(byBoth.body()).isEqualTo(200);
    assertThat(admin.store.revisions(0, 10)).extracting(io.sluice.store.RevisionInfo::author).containsExactly("root", "alice");
  }
}
