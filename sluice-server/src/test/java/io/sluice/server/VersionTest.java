package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code sluice --version}: what the build wrote, not a placeholder. */
class VersionTest {
  @Test
  void versionIsTheMavenVersionAndTheGitCommit() throws Exception {
    ServerProcess.Result r = ServerProcess.run("--version");

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    // The commit is there when the build ran in a git checkout (this test runs in one, or in a copy without .git).
    assertThat(r.stdout()).matches("sluice \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?( \\(commit [0-9a-f]{12}\\))?\n");
  }
}
