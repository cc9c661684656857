package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code sluice change N}: one change request with its reviews and its diff. */
@Command(name = "change", description = "Show change request N: its state, reviews and diff against its base revision.")
public final class ChangeCommand extends ClientCommand {
  @Parameters(paramLabel = "N", description = "the change request's number")
  long id;

  @Override
  int run(AdminClient client) {
    JsonNode c = client.get("/api/v1/changes/" + id);
    System.out.println("change " + c.path("id").asLong() + ": " + c.path("title").asText());
    System.out.println("state:    " + ChangesCommand.standing(c));
    System.out.println("author:   " + c.path("author").asText() + " at " + c.path("created").asText());
    System.out.println("base:     revision " + c.path("baseRevision").asLong()
        + (c.path("stale").asBoolean() ? " (stale: the configuration moved since; sluice rebase " + id + ")" : ""));
    if (c.path("state").asText().equals("canary")) {
      System.out.println("canary:   " + c.path("canary").asText() + " runs (sluice canary status; promote publishes the change)");
    }
    if (!c.path("canaryAborted").isNull() && !c.path("canaryAborted").isMissingNode()) {
      System.out.println("canary aborted: " + c.path("canaryAborted").asText());
    }
    if (!c.path("publishedRevision").isNull()) {
      System.out.println("published: revision " + c.path("publishedRevision").asLong() + " by " + c.path("publishedBy").asText());
    }
    if (!c.path("description").asText().isEmpty()) {
      System.out.println();
      c.path("description").asText().lines().forEach(l -> System.out.println("    " + l));
    }
    if (!c.path("reviews").isEmpty()) {
      System.out.println();
      for (JsonNode r : c.path("reviews")) {
        String comment = r.path("comment").asText();
        System.out.println(r.path("reviewer").asText() + " " + r.path("verdict").asText() + " at " + r.path("time").asText()
            + (comment.isEmpty() ? "" : ": " + comment));
      }
    }
    System.out.println();
    DiffCommand.printDiffs(c);
    return 0;
  }
}
