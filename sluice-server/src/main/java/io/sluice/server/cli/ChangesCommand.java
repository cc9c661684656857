package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice changes}: the change requests, one a line. */
@Command(name = "changes", description = {"List the change requests: id, state, title, author, approvals and base revision",
    "(stale: the configuration moved since; 'sluice rebase N' before publishing)."})
public final class ChangesCommand extends ClientCommand {
  @Option(names = "--state", paramLabel = "STATE", description = "only those open, approved, rejected, published or canary")
  @Nullable String state;

  @Override
  int run(AdminClient client) {
    JsonNode list = client.get("/api/v1/changes" + (state == null ? "" : "?state=" + AdminClient.encode(state)));
    Table t = new Table("ID", "STATE", "TITLE", "AUTHOR", "APPROVALS", "BASE");
    for (JsonNode c : list.path("items")) {
      t.row(c.path("id").asLong(), c.path("state").asText(), c.path("title").asText(), c.path("author").asText(),
          c.path("approvals").asInt() + "/" + c.path("approvalsRequired").asInt(),
          c.path("baseRevision").asLong() + (c.path("stale").asBoolean() ? " (stale)" : ""));
    }
    if (t.size() == 0) {
      System.out.println("no change requests" + (state == null ? "" : " " + state));
    } else {
      t.lines("").forEach(System.out::println);
    }
    return 0;
  }

  /** One line saying where change {@code c} stands: {@code open (1 of 2 approvals)}. */
  static String standing(JsonNode c) {
    String s = c.path("state").asText() + " (" + c.path("approvals").asInt() + " of " + c.path("approvalsRequired").asInt()
        + " approvals";
    List<String> by = new java.util.ArrayList<>();
    c.path("approvedBy").forEach(a -> by.add(a.asText()));
    return s + (by.isEmpty() ? "" : ": " + String.join(", ", by)) + ")";
  }
}
