package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Kind;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice propose -f FILE --title TITLE}: a change request instead of an apply. */
@Command(name = "propose", description = {
    "Propose the objects of files, directories or stdin (-), and deletions, as a change request for review.",
    "Validated at once like an apply; published by 'sluice publish N' once reviewers approved it (README \"Review changes\")."})
public final class ProposeCommand extends ClientCommand {
  @Option(names = {"-f", "--filename"}, paramLabel = "FILE|DIR|-",
      description = "YAML/JSON file, directory (searched recursively) or - for stdin; may be repeated")
  List<String> files = List.of();

  @Option(names = "--delete", paramLabel = "KIND/NAME", description = "an object to delete, such as route/orders; may be repeated")
  List<String> deletions = List.of();

  @Option(names = "--title", required = true, paramLabel = "TEXT", description = "one line saying what the change does")
  String title;

  @Option(names = "--description", paramLabel = "TEXT", description = "why, for the reviewers")
  @Nullable String description;

  @Override
  int run(AdminClient client) {
    if (files.isEmpty() && deletions.isEmpty()) {
      throw new CliException(2, List.of("error: propose needs objects (-f FILE) or deletions (--delete KIND/NAME)"));
    }
    @Nullable ObjectFiles in = files.isEmpty() ? null : ObjectFiles.read(files, System.in);
    // Written by hand, not through an ObjectMapper: a CLI call does not pay for setting one up (JsonText says why).
    List<String> deletes = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    for (String d : deletions) {
      int slash = d.indexOf('/');
      Kind kind;
      try {
        kind = slash > 0 && slash < d.length() - 1 ? new Kinds().convert(d.substring(0, slash)) : null;
      } catch (picocli.CommandLine.TypeConversionException e) {
        kind = null;
      }
      if (kind == null) {
        bad.add("error: --delete " + d + ": expected KIND/NAME, such as route/orders");
      } else {
        deletes.add("{\"kind\":" + quote(kind.displayName()) + ",\"name\":" + quote(d.substring(slash + 1)) + "}");
      }
    }
    if (!bad.isEmpty()) throw new CliException(2, bad);
    String body = "{\"title\":" + quote(title) + (description == null ? "" : ",\"description\":" + quote(description))
        + ",\"objects\":" + (in == null ? "[]" : in.toJsonArray()) + ",\"deletions\":[" + String.join(",", deletes) + "]}";
    JsonNode c = client.send("POST", "/api/v1/changes", body, in == null ? java.util.Map.of() : in.sources());
    System.out.println("change " + c.path("id").asLong() + " proposed: " + c.path("title").asText() + " (base revision "
        + c.path("baseRevision").asLong() + ", " + c.path("approvalsRequired").asInt() + " approval(s) needed)");
    for (JsonNode ch : c.path("changes")) {
      System.out.println("  " + ch.path("kind").asText() + "/" + ch.path("name").asText() + " " + ch.path("op").asText());
    }
    return 0;
  }

  static String quote(String s) {
    return "\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
  }
}
