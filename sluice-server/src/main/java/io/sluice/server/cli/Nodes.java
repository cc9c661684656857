package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

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

  /**
   * The nodes table: id, role, labels, applied revision and lag, version, uptime, admin address, last
   * apply error, and the config canary the node is meant to serve ({@link #canaryCell}).
   */
  static void print(JsonNode nodes) {
    Table t = new Table("NODE", "ROLE", "LABELS", "REVISION", "LAG", "VERSION", "UPTIME", "ADDRESS", "LAST ERROR", "CANARY");
    for (JsonNode n : nodes.path("items")) {
      List<String> labels = new ArrayList<>();
      for (Map.Entry<String, JsonNode> l : n.path("labels").properties()) labels.add(l.getKey() + "=" + l.getValue().asText());
      JsonNode error = n.path("lastApplyError");
      t.row(n.path("id").asText(), n.path("role").asText(), labels.isEmpty() ? "-" : String.join(",", labels),
          n.path("appliedRevision").asLong(), n.path("lag").asLong(), n.path("version").asText(),
          StatusCommand.human(Duration.ofSeconds(n.path("uptimeSeconds").asLong())),
          n.path("address").asText().isEmpty() ? "-" : n.path("address").asText(),
          error.isObject() ? "revision " + error.path("revision").asLong() + ": " + error.path("message").asText() : "-",
          canaryCell(n));
    }
    t.print();
  }

  /**
   * What a node of a running canary is meant to serve: {@code c-... on 41 (serving)}, the canary on
   * top of revision 41, or {@code (joining)} until its record says it serves it; {@code -} for the
   * other nodes, which serve the store's revision ({@code REVISION}), or {@code c-... (leaving)} while
   * one still serves a canary that ended.
   */
  static String canaryCell(JsonNode node) {
    JsonNode c = node.path("canary");
    if (c.isObject()) {
      return c.path("id").asText() + " on " + c.path("baseRevision").asLong() + (c.path("serving").asBoolean() ? " (serving)" : " (joining)");
    }
    JsonNode served = node.path("servedCanary");
    return served.isTextual() ? served.asText() + " (leaving)" : "-";
  }

  /**
   * {@code sluice status}'s canary line: {@code c-... (zone=a) on 1 of 3 data-plane nodes (n1), on
   * top of revision 41, running since T}; null when none runs.
   */
  static @Nullable String canary(JsonNode nodes) {
    JsonNode c = nodes.path("canary");
    if (!c.isObject()) return null;
    List<String> on = new ArrayList<>();
    for (JsonNode id : c.path("nodes")) on.add(id.asText());
    long dataPlanes = 0;
    for (JsonNode n : nodes.path("items")) {
      String role = n.path("role").asText();
      if (role.equals("data-plane") || role.equals("all")) dataPlanes++;
    }
    return c.path("id").asText() + " (" + c.path("selector").asText() + ") on " + on.size() + " of " + dataPlanes
        + " data-plane nodes (" + String.join(", ", on) + "), on top of revision " + c.path("baseRevision").asLong()
        + ", running since " + c.path("startedAt").asText();
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
