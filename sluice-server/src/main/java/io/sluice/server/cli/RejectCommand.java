package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice reject N -m COMMENT}. */
@Command(name = "reject", description = "Reject change request N for good, saying why (reviewer role).")
public final class RejectCommand extends ChangeActionCommand {
  @Option(names = {"-m", "--message"}, required = true, paramLabel = "TEXT", description = "why, for the author")
  String message;

  @Override
  String action() {
    return "reject";
  }

  @Override
  String comment() {
    return message;
  }

  @Override
  String result(JsonNode c) {
    return "change " + c.path("id").asLong() + ": rejected";
  }
}
