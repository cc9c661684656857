package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sluice publish N [--canary SELECTOR ...]}. */
@Command(name = "publish", description = {"Apply approved change request N as one revision (its base must be the live revision).",
    "With --canary, start a config canary of it instead: promoting the canary publishes the change, aborting it makes the change"
        + " approved again."})
public final class PublishCommand extends ChangeActionCommand {
  @Option(names = "--canary", paramLabel = "SELECTOR", description = "start a config canary of the change on some data-plane nodes"
      + " instead of committing it: a label selector (zone=a) or a percentage (10%); sluice canary promote publishes it")
  @Nullable String canary;

  @Mixin CanaryOptions canaryOptions = new CanaryOptions();

  @Override
  String action() {
    return "publish";
  }

  @Override
  String query() {
    String q = canaryOptions.query(canary);
    return q.isEmpty() ? "" : "?" + q;
  }

  @Override
  String result(JsonNode c) {
    JsonNode started = c.path("canaryStarted");
    if (!started.isObject()) return "change " + c.path("id").asLong() + " published as revision " + c.path("publishedRevision").asLong();
    List<String> nodes = new ArrayList<>();
    started.path("nodes").forEach(n -> nodes.add(n.asText()));
    return "change " + c.path("id").asLong() + " runs as canary " + started.path("id").asText() + " on " + String.join(", ", nodes)
        + " (" + started.path("selector").asText() + "), on top of revision " + started.path("baseRevision").asLong()
        + "; the other nodes keep serving it\n"
        + "sluice canary status compares them; sluice canary promote publishes the change everywhere, sluice canary abort drops"
        + " it (the change is approved again)";
  }
}
