package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice canary status|promote|abort}: the fleet's config canary, which {@code sluice apply
 * --canary SELECTOR} starts. Promote and abort name the canary that status shows ({@code --id}, else
 * the running one), so that a canary started meanwhile by someone else is not ended by mistake.
 */
@Command(name = "canary", description = {
    "The fleet's config canary: a change some data-plane nodes serve before the rest (sluice apply -f FILE --canary zone=a).",
    "status compares the canary's nodes with the rest; promote publishes the change everywhere; abort drops it."},
    subcommands = {CanaryCommand.Status.class, CanaryCommand.Promote.class, CanaryCommand.Abort.class})
public final class CanaryCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "expected a subcommand: status, promote or abort");
  }

  /** {@code sluice canary status}. */
  @Command(name = "status", description = "Show the running canary, its nodes' and the other nodes' 5xx rate and p99 side by side,"
      + " and the canaries that ended.")
  public static final class Status extends ClientCommand {
    @Override
    int run(AdminClient client) {
      JsonNode s = client.get("/api/v1/canary");
      JsonNode c = s.path("canary");
      if (c.isObject()) {
        System.out.println("canary:      " + c.path("id").asText() + " (" + c.path("selector").asText() + ") on " + join(c.path("nodes")));
        System.out.println("started:     " + c.path("startedAt").asText() + " by " + c.path("author").asText() + ", on top of revision "
            + c.path("baseRevision").asLong());
        System.out.println("objects:     " + join(c.path("objects")));
        JsonNode a = c.path("autoAbort");
        System.out.println("auto abort:  " + (a.path("enabled").asBoolean()
            ? "after " + seconds(a.path("windowSeconds").asDouble()) + " worse by more than " + percent(a.path("errorRateMargin").asDouble())
                + " of 5xx or " + a.path("p99MarginMillis").asLong() + "ms of p99 (at least " + a.path("minRequests").asLong()
                + " canary requests)"
            : "off"));
        JsonNode cmp = s.path("comparison");
        Table t = new Table("", "NODES", "REQUESTS", "5XX", "5XX RATE", "P99");
        side(t, "canary", cmp.path("canary"));
        side(t, "rest", cmp.path("rest"));
        t.lines("").forEach(System.out::println);
        String since = cmp.path("worseSince").asText("");
        System.out.println("verdict:     " + cmp.path("verdict").asText() + (since.isEmpty() ? "" : " (since " + since + ")"));
      } else {
        System.out.println("no canary is running");
      }
      JsonNode history = s.path("history");
      if (!history.isEmpty()) {
        JsonNode last = history.get(history.size() - 1);
        System.out.println("last ended:  " + outcome(last));
      }
      return 0;
    }

    private static void side(Table t, String name, JsonNode s) {
      t.row(name, s.path("nodes").isEmpty() ? "-" : join(s.path("nodes")), s.path("requests").asLong(), s.path("errors").asLong(),
          percent(s.path("errorRate").asDouble()), String.format(Locale.ROOT, "%.1fms", s.path("p99Millis").asDouble()));
    }
  }

  /** {@code sluice canary promote}. */
  @Command(name = "promote", description = "Publish the running canary's change to every node: it becomes the store's next revision.")
  public static final class Promote extends ClientCommand {
    @Option(names = "--id", paramLabel = "ID", description = "the canary to promote (default: the running one)")
    @Nullable String id;

    @Override
    int run(AdminClient client) {
      String canary = id != null ? id : running(client);
      JsonNode o = client.post("/api/v1/canary/promote", "{\"id\":" + quote(canary) + "}");
      System.out.println("canary " + o.path("id").asText() + " promoted as revision " + o.path("revision").asLong()
          + "; every node follows it");
      NodeApplyCheck.warnUnlessApplied(client, o.path("revision").asLong());
      return 0;
    }
  }

  /** {@code sluice canary abort}. */
  @Command(name = "abort", description = "Drop the running canary: its nodes return to the store's revision.")
  public static final class Abort extends ClientCommand {
    @Option(names = "--id", paramLabel = "ID", description = "the canary to abort (default: the running one)")
    @Nullable String id;

    @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "why: recorded in the canary history")
    @Nullable String message;

    @Override
    int run(AdminClient client) {
      String canary = id != null ? id : running(client);
      String body = "{\"id\":" + quote(canary) + (message != null ? ",\"reason\":" + quote(message) : "") + "}";
      JsonNode o = client.post("/api/v1/canary/abort", body);
      System.out.println("canary " + o.path("id").asText() + " aborted; its nodes (" + join(o.path("nodes")) + ") serve revision "
          + o.path("revision").asLong() + " again");
      return 0;
    }
  }

  private static String running(AdminClient client) {
    JsonNode c = client.get("/api/v1/canary").path("canary");
    if (!c.isObject()) throw new CliException("error: no canary is running (sluice canary status)");
    return c.path("id").asText();
  }

  static String outcome(JsonNode o) {
    return o.path("id").asText() + " " + o.path("state").asText() + " by " + o.path("by").asText() + " at " + o.path("time").asText()
        + ": " + o.path("reason").asText();
  }

  private static String join(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return String.join(", ", out);
  }

  private static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f%%", share * 100);
  }

  private static String seconds(double s) {
    return s == Math.rint(s) ? (long) s + "s" : s + "s";
  }

  private static String quote(String s) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
  }
}
