package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice revisions}: the revision log ({@code GET /api/v1/revisions}): who changed which objects, when and why. */
@Command(name = "revisions", description = {"Show the revision log: each revision's time, author, objects and message, oldest first.",
    "--after N shows the revisions after N (to page on), --limit how many (default 100, at most 1000)."})
public final class RevisionsCommand extends ClientCommand {
  @Option(names = "--after", paramLabel = "REV", description = "only revisions after REV (default: from the first)")
  long after;

  @Option(names = "--limit", paramLabel = "N", description = "at most N revisions (1 to 1000; default 100)")
  @Nullable Integer limit;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json or yaml: the admin API's answer, for scripts")
  Printed.@Nullable Format output;

  @Override
  int run(AdminClient client) {
    StringBuilder path = new StringBuilder("/api/v1/revisions?after=").append(after);
    if (limit != null) path.append("&limit=").append(limit);
    JsonNode log = client.get(path.toString());
    if (output != null) {
      Printed.print(log, output);
      return 0;
    }
    if (log.path("items").isEmpty()) {
      System.err.println("no revisions" + (after > 0 ? " after " + after : ""));
      return 0;
    }
    Table t = new Table("REVISION", "TIME", "AUTHOR", "OBJECTS", "MESSAGE");
    for (JsonNode r : log.path("items")) {
      List<String> objects = new ArrayList<>();
      r.path("objects").forEach(o -> objects.add(o.asText()));
      t.row(r.path("revision").asLong(), HistoryCommand.time(r.path("time").asText()), r.path("author").asText(),
          String.join(",", objects), r.path("message").asText());
    }
    t.print();
    return 0;
  }
}
