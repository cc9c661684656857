package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice status}: the node, its revisions and listeners. */
@Command(name = "status", description = {"Show the node: store revision, applied revision, uptime, listeners,",
    "skipped objects, the last revision the data plane failed to apply,",
    "and whether the fleet has converged: every node serves the store's revision (sluice get nodes lists them)."})
public final class StatusCommand extends ClientCommand {
  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json or yaml: the admin API's answer, for scripts")
  Printed.@Nullable Format output;

  @Override
  int run(AdminClient client) {
    JsonNode s = client.get("/api/v1/status");
    if (output != null) {
      Printed.print(s, output);
      return 0;
    }
    long store = s.path("storeRevision").asLong();
    long applied = s.path("appliedRevision").asLong();
    System.out.println("node:             " + s.path("nodeId").asText());
    System.out.println("version:          " + s.path("version").asText());
    System.out.println("store revision:   " + store);
    StoreStateLines.print(s.path("store"));
    System.out.println("applied revision: " + applied + (applied == store ? " (up to date)" : " (behind the store)"));
    System.out.println("uptime:           " + human(Duration.ofSeconds(s.path("uptimeSeconds").asLong()))
        + " (since " + s.path("startedAt").asText() + ")");
    List<String> listeners = new ArrayList<>();
    for (JsonNode l : s.path("listeners")) listeners.add(l.path("name").asText() + " " + l.path("address").asText());
    System.out.println("listeners:        " + (listeners.isEmpty() ? "(none)" : String.join(", ", listeners)));
    if (!s.path("tlsProvider").asText().isEmpty()) System.out.println("tls provider:     " + s.path("tlsProvider").asText());
    JsonNode skipped = s.path("skippedObjects");
    if (!skipped.isEmpty()) {
      System.out.println("skipped objects:  " + skipped.size() + " (stored but not served)");
      for (JsonNode o : skipped) System.out.println("  " + o.path("object").asText() + ": " + o.path("error").asText());
    }
    JsonNode failed = s.path("lastApplyError");
    if (failed.isObject()) {
      long revision = failed.path("revision").asLong();
      System.out.println("last apply error: revision " + revision + " at " + failed.path("time").asText()
          + (applied >= revision ? " (a later revision applied since)" : " (not applied; revision " + applied + " serves)"));
      System.out.println("  " + failed.path("message").asText());
    }
    JsonNode nodes = client.get("/api/v1/nodes");
    System.out.println("fleet:            " + Nodes.convergence(nodes));
    String canary = Nodes.canary(nodes);
    if (canary != null) System.out.println("canary:           " + canary);
    return 0;
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    if (s < 60) return s + "s";
    if (s < 3600) return s / 60 + "m" + s % 60 + "s";
    if (s < 86400) return s / 3600 + "h" + s % 3600 / 60 + "m";
    return s / 86400 + "d" + s % 86400 / 3600 + "h";
  }
}
