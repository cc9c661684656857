package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice rollback [KIND NAME] --to REV}: restores an object, or everything, as a new revision. */
@Command(name = "rollback", description = {
    "Restore an object (KIND NAME) or the whole configuration (no arguments) to its state at revision REV.",
    "The restore is a new revision; history is never rewritten.",
    "One that deletes a Listener or more than 5 objects asks first on a terminal; elsewhere it needs --yes."})
public final class RollbackCommand extends ClientCommand {
  @Parameters(arity = "0..2", paramLabel = "KIND NAME", description = "the object; leave out for the whole configuration")
  List<String> target = List.of();

  @Option(names = "--to", required = true, paramLabel = "REV", description = "the revision to restore")
  long to;

  @Option(names = "--dry-run", description = "show what the rollback would change, as diffs; change nothing")
  boolean dryRun;

  @Option(names = {"-y", "--yes"}, description = "do it without asking, even when it deletes a Listener or more than 5 objects")
  boolean yes;

  @Option(names = "--force", description = "also restore objects the config directory owns, taking them over from it")
  boolean force;

  @Override
  int run(AdminClient client) {
    String path;
    String what = "rollback to revision " + to;
    if (target.isEmpty()) {
      path = "/api/v1/rollback";
    } else if (target.size() == 2) {
      String kind;
      try {
        kind = Kinds.segment(new Kinds().convert(target.get(0)));
      } catch (picocli.CommandLine.TypeConversionException e) {
        throw new CliException(2, List.of("error: " + e.getMessage()));
      }
      path = "/api/v1/" + kind + "/" + AdminClient.encode(target.get(1)) + "/rollback";
      what = "rollback of " + target.get(0) + " " + target.get(1) + " to revision " + to;
    } else {
      throw new CliException(2, List.of("error: rollback takes KIND and NAME, or neither for the whole configuration; got only '"
          + target.getFirst() + "'"));
    }
    // The revision goes in a JSON body: the admin API changes nothing on a body-less POST.
    String body = "{\"to\":" + to + "}";
    if (dryRun) {
      JsonNode preview = client.post(path + "?dryRun=true", body);
      DiffCommand.printDiffs(preview);
      ApplyCommand.printChanges(preview, true);
      return 0;
    }
    String query = force ? "?force=true" : "";
    if (!yes) {
      JsonNode preview = client.post(path + "?dryRun=true", body);
      Confirmation.require(what, Confirmation.deletions(preview), false, "--dry-run shows the changes first");
      // What was checked is what is done: the server refuses the rollback if the store moved since.
      query = "?baseRevision=" + preview.path("revision").asLong() + (force ? "&force=true" : "");
    }
    JsonNode result = client.post(path + query, body);
    ApplyCommand.printChanges(result, false);
    if (ApplyCommand.changed(result)) NodeApplyCheck.warnUnlessApplied(client, result.path("revision").asLong());
    return 0;
  }
}
