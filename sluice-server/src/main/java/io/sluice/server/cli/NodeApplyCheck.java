package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * After a change, whether the node serving the admin API applied it: the store accepted the
 * revision, but the data plane applies it a moment later and may fail (a listener whose port is
 * taken). Polls {@code GET /api/v1/status} briefly and warns on stderr when the node failed to apply
 * the revision or has not applied it yet; the change stays stored either way, so the exit code does
 * not change.
 */
final class NodeApplyCheck {
  /** How long to wait for the node: it usually applies a change within milliseconds. */
  static final Duration WAIT = Duration.ofSeconds(3);
  private static final Duration POLL = Duration.ofMillis(50);

  private NodeApplyCheck() {}

  /** Waits until the node applied {@code revision} or failed to, for up to {@link #WAIT}; warns unless it applied it. */
  static void warnUnlessApplied(AdminClient client, long revision) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode status;
    while (true) {
      try {
        status = client.get("/api/v1/status");
      } catch (CliException e) {
        System.err.println("warning: cannot tell whether the node applied revision " + revision + ": " + String.join("; ", e.lines()));
        return;
      }
      if (status.path("appliedRevision").asLong() >= revision) return;
      JsonNode failed = status.path("lastApplyError");
      if (failed.path("revision").asLong() >= revision) {
        System.out.flush();
        System.err.println("warning: the node did not apply revision " + revision + ": "
            + failed.path("message").asText() + "; revision " + status.path("appliedRevision").asLong()
            + " keeps serving (sluice status shows it until a later change applies)");
        return;
      }
      if (System.nanoTime() > deadline) break;
      try {
        Thread.sleep(POLL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    System.out.flush();
    System.err.println("warning: the node has not applied revision " + revision + " within " + WAIT.toSeconds() + "s (it serves revision "
        + status.path("appliedRevision").asLong() + "); sluice status shows when it does");
  }
}
