package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Kind;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code sluice __complete KIND [PREFIX]}: the names of the server's objects of a kind that start
 * with {@code PREFIX}, one a line, for the completion scripts ({@code sluice get route <TAB>}).
 * Hidden; a shell waits on it, so it gives up quickly, and whatever goes wrong (no server, a
 * refused token, an unknown kind) prints nothing and exits 0: a completion that finds nothing
 * completes nothing.
 */
@Command(name = "__complete", hidden = true, description = "object names for the completion scripts")
public final class CompleteNamesCommand implements Callable<Integer> {
  /** How long a TAB may wait for the server, on top of the JVM's start. */
  static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);

  static final Duration REQUEST_TIMEOUT = Duration.ofMillis(1500);

  @Mixin
  ClientOptions clientOptions;

  @Parameters(index = "0", paramLabel = "KIND")
  String kind;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX", defaultValue = "")
  String prefix;

  @Override
  public Integer call() {
    try {
      Kind k = new Kinds().convert(kind);
      JsonNode list = new AdminClient(clientOptions, CONNECT_TIMEOUT, REQUEST_TIMEOUT).get("/api/v1/" + Kinds.segment(k));
      StringBuilder out = new StringBuilder();
      for (JsonNode item : list.path("items")) {
        String name = item.path("metadata").path("name").asText("");
        if (!name.isEmpty() && name.startsWith(prefix)) out.append(name).append('\n');
      }
      System.out.print(out);
    } catch (RuntimeException e) {
      // CliException (unreachable, 401, ...) or an unknown kind: nothing to offer.
    }
    return 0;
  }
}
