package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Kind;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice history KIND NAME}: every version of an object, oldest first. */
@Command(name = "history", description = "Show every version of an object, oldest first: revision, time, author, change, message.")
public final class HistoryCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KIND", converter = Kinds.class, completionCandidates = Kinds.class,
      description = "the kind, singular or plural: " + Kinds.LIST)
  Kind kind;

  @Parameters(index = "1", paramLabel = "NAME")
  String name;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json or yaml: the admin API's answer, for scripts")
  Printed.@Nullable Format output;

  @Override
  int run(AdminClient client) {
    if (output != null) {
      Printed.print(client.get("/api/v1/" + Kinds.segment(kind) + "/" + AdminClient.encode(name) + "/history"), output);
      return 0;
    }
    List<JsonNode> entries = history(client, kind, name);
    table(entries).print();
    return 0;
  }

  static List<JsonNode> history(AdminClient client, Kind kind, String name) {
    JsonNode h = client.get("/api/v1/" + Kinds.segment(kind) + "/" + AdminClient.encode(name) + "/history");
    List<JsonNode> entries = new ArrayList<>();
    h.path("items").forEach(entries::add);
    return entries;
  }

  /** The entries as a table; the change column says created, updated or deleted. */
  static Table table(List<JsonNode> entries) {
    Table t = new Table("REVISION", "TIME", "AUTHOR", "CHANGE", "MESSAGE");
    boolean exists = false;
    for (JsonNode e : entries) {
      boolean deleted = e.path("deleted").asBoolean();
      String change = deleted ? "deleted" : exists ? "updated" : "created";
      exists = !deleted;
      t.row(e.path("revision").asLong(), time(e.path("time").asText()), e.path("author").asText(), change,
          e.path("message").asText());
    }
    return t;
  }

  /** An ISO-8601 instant to the second, as UTC. */
  static String time(String iso) {
    try {
      return Instant.parse(iso).truncatedTo(ChronoUnit.SECONDS).toString();
    } catch (DateTimeParseException e) {
      return iso;
    }
  }
}
