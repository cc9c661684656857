package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Kind;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice delete KIND NAME}. */
@Command(name = "delete", description = {"Delete an object; refused while other objects refer to it (they are named).",
    "Deleting a Listener (its port stops answering) asks first on a terminal; elsewhere it needs --yes."})
public final class DeleteCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KIND", converter = Kinds.class, completionCandidates = Kinds.class,
      description = "listener, route or upstream (singular or plural)")
  Kind kind;

  @Parameters(index = "1", paramLabel = "NAME")
  String name;

  @Option(names = "--revision", paramLabel = "REV", description = "delete only if the object is still at this revision")
  long revision;

  @Option(names = {"-y", "--yes"}, description = "delete a Listener without asking")
  boolean yes;

  @Option(names = "--force", description = "delete an object the config directory owns (it then skips it until its file changes)")
  boolean force;

  @Override
  int run(AdminClient client) {
    Confirmation.require("this delete", List.of(kind.displayName() + "/" + name), yes, null);
    String path = "/api/v1/" + Kinds.segment(kind) + "/" + AdminClient.encode(name) + (revision > 0 ? "?revision=" + revision : "")
        + (force ? (revision > 0 ? "&" : "?") + "force=true" : "");
    JsonNode r = client.send("DELETE", path, null, java.util.Map.of());
    System.out.println(kind.displayName() + "/" + name + " deleted (revision " + r.path("revision").asLong() + ")");
    return 0;
  }
}
