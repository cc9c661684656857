package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A revision the store accepted but the node could not apply (a listener whose port is taken):
 * {@code apply} warns, and {@code status} (and {@code GET /api/v1/status}) shows the error until a
 * later revision applies.
 */
class ApplyErrorTest {

  @Test
  void applyWarnsAndStatusShowsTheLastApplyErrorWhenTheNodeCannotApplyTheRevision(@TempDir Path dir) throws Exception {
    try (ControlPlane cp = ControlPlane.start();
        ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path ok = ControlPlane.write(dir, "ok.yaml", """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec: {address: 127.0.0.1:0}
          """);
      ServerProcess.Result first = cp.sluice("apply", "-f", ok.toString());
      assertThat(first.exitCode()).as(first.stderr()).isZero();
      assertThat(first.stderr()).isEmpty();

      Path bad = ControlPlane.write(dir, "bad.yaml", """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: taken}
          spec: {address: 127.0.0.1:%d}
          """.formatted(taken.getLocalPort()));
      ServerProcess.Result applied = cp.sluice("apply", "-f", bad.toString());

      // The store took it (exit 0), but the node serves revision 1 still.
      assertThat(applied.exitCode()).as(applied.stderr()).isZero();
      assertThat(applied.stdoutLines()).containsExactly("Listener/taken created", "applied as revision 2");
      JsonNode status = cp.get("/api/v1/status");
      assertThat(status.path("appliedRevision").asLong()).isEqualTo(1);
      assertThat(status.path("lastApplyError").path("revision").asLong()).isEqualTo(2);
      // The bind error's own words depend on the transport (epoll adds "bind(..) failed with error(-98)").
      String message = status.path("lastApplyError").path("message").asText();
      assertThat(message).startsWith("Listener/taken: cannot bind /127.0.0.1:" + taken.getLocalPort() + ": ")
          .endsWith("Address already in use");
      assertThat(applied.stderrLines()).containsExactly("warning: the node did not apply revision 2: " + message
          + "; revision 1 keeps serving (sluice status shows it until a later change applies)");
      String time = status.path("lastApplyError").path("time").asText();
      ServerProcess.Result s = cp.sluice("status");
      assertThat(s.stdoutLines()).containsSequence(
          "last apply error: revision 2 at " + time + " (not applied; revision 1 serves)",
          "  " + message);

      ServerProcess.Result fixed = cp.sluice("delete", "listener", "taken", "--yes");
      assertThat(fixed.exitCode()).as(fixed.stderr()).isZero();
      ServerProcess.Result after = cp.sluice("status");
      assertThat(after.stdoutLines()).contains("last apply error: revision 2 at " + time + " (a later revision applied since)");
    }
  }
}
