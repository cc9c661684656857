package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Option(names = "--force", description = "change objects the config directory owns too, taking them over from it"
      + " (it then skips them until their file changes); abort a running canary and apply")
  boolean force;

  @Option(names = "--canary", paramLabel = "SELECTOR", description = "publish the change to some data-plane nodes first: a label"
      + " selector (zone=a) or a percentage (10%); the rest keep the current revision until sluice canary promote")
  @Nullable String canary;

  @Mixin CanaryOptions canaryOptions = new CanaryOptions();

  @Override
  int run(AdminClient client) {
    ObjectFiles in = ObjectFiles.read(files, System.in);
    String canaryQuery = canaryOptions.query(canary);
    if (!canaryQuery.isEmpty()) return startCanary(client, in, canaryQuery);
    StringBuilder path = new StringBuilder("/api/v1/apply?dryRun=").append(dryRun);
    if (message != null) path.append("&message=").append(AdminClient.encode(message));
    if (force) path.append("&force=true");
    JsonNode result = client.send("POST", path.toString(), in.toJsonArray(), in.sources());
    printChanges(result, dryRun);
    if (!dryRun && changed(result)) NodeApplyCheck.warnUnlessApplied(client, result.path("revision").asLong());
    return 0;
  }

  /** @param canaryQuery the canary's query parameters ({@link CanaryOptions#query}) */
  private int startCanary(AdminClient client, ObjectFiles in, String canaryQuery) {
    if (dryRun) throw new CliException(2, List.of("error: --dry-run and --canary do not go together: check the change with --dry-run first"));
    StringBuilder path = new StringBuilder("/api/v1/apply?").append(canaryQuery);
    if (message != null) path.append("&message=").append(AdminClient.encode(message));
    if (force) path.append("&force=true");
    JsonNode c = client.send("POST", path.toString(), in.toJsonArray(), in.sources());
    List<String> nodes = new java.util.ArrayList<>();
    c.path("nodes").forEach(n -> nodes.add(n.asText()));
    System.out.println("canary " + c.path("id").asText() + " started on " + String.join(", ", nodes) + " (" + c.path("selector").asText()
        + "), on top of revision " + c.path("baseRevision").asLong() + "; the other nodes keep serving it");
    System.out.println("sluice canary status compares them; sluice canary promote publishes it everywhere, sluice canary abort"
        + " drops it");
    return 0;
  }

  /** Whether a change set answer changed anything. */
  static boolean changed(JsonNode result) {
    for (JsonNode c : result.path("changes")) {
      if (!c.path("op").asText().equals("unchanged")) return true;
    }
    return false;
  }

  /**
   * One line per object ({@code Route/hello created}), then the revision. An object the config
   * directory owns says so: in a dry run, that applying it needs {@code --force}; otherwise, that
   * the change took it over.
   */
  static void printChanges(JsonNode result, boolean dryRun) {
    boolean changed = false;
    for (JsonNode c : result.path("changes")) {
      String op = c.path("op").asText();
      changed |= !op.equals("unchanged");
      List<String> notes = new java.util.ArrayList<>();
      if (dryRun) notes.add("dry run");
      if (c.has("managedBy")) notes.add((dryRun ? "owned by " : "taken over from ") + configDir(result));
      System.out.println(c.path("kind").asText() + "/" + c.path("name").asText() + " " + op
          + (notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")"));
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

  /** "the config directory DIR" as the answer names it ({@code configDir}), or without a path when it does not. */
  static String configDir(JsonNode result) {
    String dir = result.path("configDir").asText("");
    return dir.isEmpty() ? "the config directory" : "the config directory " + dir;
  }
}
