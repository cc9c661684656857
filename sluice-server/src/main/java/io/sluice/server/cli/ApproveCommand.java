package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice approve N [-m COMMENT]}. */
@Command(name = "approve", description = "Approve change request N (reviewer role; never one's own change).")
public final class ApproveCommand extends ChangeActionCommand {
  @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "a comment for the author")
  @Nullable String message;

  @Override
  String action() {
    return "approve";
  }

  @Override
  @Nullable String comment() {
    return message;
  }

  @Override
  String result(JsonNode c) {
    return "change " + c.path("id").asLong() + ": " + ChangesCommand.standing(c);
  }
}
