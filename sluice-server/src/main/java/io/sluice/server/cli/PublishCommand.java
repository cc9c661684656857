package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code sluice publish N}. */
@Command(name = "publish", description = "Apply approved change request N as one revision (its base must be the live revision).")
public final class PublishCommand extends ChangeActionCommand {
  @Override
  String action() {
    return "publish";
  }

  @Override
  String result(JsonNode c) {
    return "change " + c.path("id").asLong() + " published as revision " + c.path("publishedRevision").asLong();
  }
}
