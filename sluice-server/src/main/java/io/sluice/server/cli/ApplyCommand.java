package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice apply -f FILE|DIR|-}: creates or updates objects as one revision, all or nothing. */
@Command(name = "apply", description = {
    "Create or update the objects of files, directories or stdin (-) as one revision: all or nothing.",
    "An object that carries metadata.revision is applied only if the stored object is still at that revision."})
public final class ApplyCommand extends ClientCommand {
  @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR|-",
      description = "YAML/JSON file, directory (searched recursively) or - for stdin; may be repeated")
  List<String> files;

  @Option(names = "--dry-run", description = "check and show what would change; change nothing")
  boolean dryRun;

  @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "why: recorded in the history")
  @Nullable String message;

  @Override
  int run(AdminClient client) {
    ObjectFiles in = ObjectFiles.read(files, System.in);
    StringBuilder path = new StringBuilder("/api/v1/apply?dryRun=").append(dryRun);
    if (message != null) path.append("&message=").append(AdminClient.encode(message));
    JsonNode result = client.send("POST", path.toString(), in.toJsonArray(), in.sources());
    printChanges(result, dryRun);
    return 0;
  }

  /** One line per object ({@code Route/hello created}), then the revision. */
  static void printChanges(JsonNode result, boolean dryRun) {
    boolean changed = false;
    for (JsonNode c : result.path("changes")) {
      String op = c.path("op").asText();
      changed |= !op.equals("unchanged");
      System.out.println(c.path("kind").asText() + "/" + c.path("name").asText() + " " + op + (dryRun ? " (dry run)" : ""));
    }
    long revision = result.path("revision").asLong();
    if (dryRun) {
      System.out.println("dry run: nothing applied (checked against revision " + revision + ")");
    } else if (changed) {
      System.out.println("applied as revision " + revision);
    } else {
      System.out.println("nothing changed (revision " + revision + ")");
    }
  }
}
