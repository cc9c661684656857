package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code sluice rebase N}. */
@Command(name = "rebase", description = {"Move change request N onto the live revision: checked again, and its approvals",
    "cleared (they were given to what it did on its old base)."})
public final class RebaseCommand extends ChangeActionCommand {
  @Override
  String action() {
    return "rebase";
  }

  @Override
  String result(JsonNode c) {
    return "change " + c.path("id").asLong() + " is based on revision " + c.path("baseRevision").asLong() + ": "
        + ChangesCommand.standing(c);
  }
}
