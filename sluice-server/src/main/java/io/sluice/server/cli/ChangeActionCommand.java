package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Parameters;

/** What {@code approve}, {@code reject}, {@code rebase} and {@code publish} share: a POST on change request N. */
abstract class ChangeActionCommand extends ClientCommand {
  @Parameters(paramLabel = "N", description = "the change request's number")
  long id;

  /** {@code approve}, {@code reject}, ...: the last segment of the action's path. */
  abstract String action();

  /** The action's query string ({@code ?...}), or empty. */
  String query() {
    return "";
  }

  /** The action's comment, or null. */
  @Nullable String comment() {
    return null;
  }

  @Override
  final int run(AdminClient client) {
    String comment = comment();
    // Always a JSON body: the admin API changes nothing on a body-less POST.
    String body = comment == null ? "{}" : "{\"comment\":" + ProposeCommand.quote(comment) + "}";
    JsonNode c = client.post("/api/v1/changes/" + id + "/" + action() + query(), body);
    System.out.println(result(c));
    return 0;
  }

  /** What to print once done. */
  abstract String result(JsonNode change);
}
