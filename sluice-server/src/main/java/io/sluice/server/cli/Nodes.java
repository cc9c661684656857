package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fleet as the CLI shows it: {@code sluice get nodes} (a table of {@code GET /api/v1/nodes})
 * and the convergence line of {@code sluice status}.
 */
final class Nodes {
  private Nodes() {}

  /** Whether {@code kind} (as {@code get} was given it) asks for the nodes rather than objects. */
  static boolean named(String kind) {
    String k = kind.strip().toLowerCase(java.util.Locale.ROOT);
    return k.equals("node") || k.equals("nodes");
  }

  /** The nodes table: id, role, labels, applied revision and lag, version, uptime, admin address, last apply error. */
  static void print(JsonNode nodes) {
    Table t = new Table("NODE", "ROLE", "LABELS", "REVISION", "LAG", "VERSION", "UPTIME", "ADDRESS", "LAST ERROR");
    for (JsonNode n : nodes.path("items")) {
      List<String> labels = new ArrayList<>();
      for (Map.Entry<String, JsonNode> l : n.path("labels").properties()) labels.add(l.getKey() + "=" + l.getValue().asText());
      JsonNode error = n.path("lastApplyError");
      t.row(n.path("id").asText(), n.path("role").asText(), labels.isEmpty() ? "-" : String.join(",", labels),
          n.path("appliedRevision").asLong(), n.path("lag").asLong(), n.path("version").asText(),
          StatusCommand.human(Duration.ofSeconds(n.path("uptimeSeconds").asLong())),
          n.path("address").asText().isEmpty() ? "-" : n.path("address").asText(),
          error.isObject() ? "revision " + error.path("revision").asLong() + ": " + error.path("message").asText() : "-");
    }
    t.print();
  }

  /** {@code converged at revision 7 (3 nodes)} or {@code not converged on revision 7: edge-b at 6, ...}. */
  static String convergence(JsonNode nodes) {
    long revision = nodes.path("storeRevision").asLong();
    List<String> behind = new ArrayList<>();
    for (JsonNode n : nodes.path("items")) {
      if (n.path("lag").asLong() > 0) behind.add(n.path("id").asText() + " at " + n.path("appliedRevision").asLong());
    }
    int count = nodes.path("items").size();
    if (nodes.path("converged").asBoolean()) return "converged on revision " + revision + " (" + count + (count == 1 ? " node)" : " nodes)");
    if (count == 0) return "not converged: no node is registered";
    return "not converged on revision " + revision + ": " + String.join(", ", behind);
  }
}
