package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice diff -f FILE|DIR|-}: what an apply would change, as unified diffs; exit 1 when anything would, 2 on an error. */
@Command(name = "diff", description = {
    "Show what applying the objects would change, as unified diffs of their YAML (a dry-run apply).",
    "Exit code 0: no changes; 1: there are changes; 2: an error (invalid file, refused, unreachable), like kubectl diff."})
public final class DiffCommand extends ClientCommand {
  @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR|-",
      description = "YAML/JSON file, directory (searched recursively) or - for stdin; may be repeated")
  List<String> files;

  @Override
  int run(AdminClient client) {
    ObjectFiles in = ObjectFiles.read(files, System.in);
    JsonNode result = client.send("POST", "/api/v1/apply?dryRun=true", in.toJsonArray(), in.sources());
    boolean changed = printDiffs(result);
    printOwned(result);
    return changed ? 1 : 0;
  }

  /**
   * Names the objects the config directory owns, on stderr (stdout stays a patch): applying them
   * needs {@code --force}. The directory's annotation itself is never a difference.
   */
  static void printOwned(JsonNode result) {
    List<String> owned = new java.util.ArrayList<>();
    for (JsonNode c : result.path("changes")) {
      if (c.has("managedBy")) owned.add(c.path("kind").asText() + "/" + c.path("name").asText());
    }
    if (owned.isEmpty()) return;
    System.out.flush();
    System.err.println("owned by " + ApplyCommand.configDir(result) + " (apply refuses them without --force): "
        + String.join(", ", owned));
  }

  /** Prints the unified diff of every change in a change set answer; true when there is any. */
  static boolean printDiffs(JsonNode result) {
    boolean changed = false;
    for (JsonNode c : result.path("changes")) {
      if (c.path("op").asText().equals("unchanged")) continue;
      changed = true;
      String diff = c.path("diff").asText("");
      System.out.print(diff.endsWith("\n") || diff.isEmpty() ? diff : diff + "\n");
    }
    return changed;
  }

  /** 1 means "there are changes", so every error is 2, as for kubectl diff: a script can tell them apart. */
  @Override
  int errorExitCode(int exitCode) {
    return 2;
  }
}
