package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.codec.Durations;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sluice top}: the gateway's traffic per route and upstream, refreshed every
 * {@code --interval} from {@code GET /api/v1/stats}; {@code --once} prints one table and exits.
 * Between refreshes the screen is cleared with ANSI escapes. Once the first poll has succeeded, a
 * failed poll is shown in place of the tables and polling goes on (the server may be restarting);
 * a first poll that fails exits 1 like every client command.
 */
@Command(name = "top", description = {
    "Show live traffic per route and upstream: requests, rate and error share over the last minute,",
    "latency percentiles over the last 5 minutes, bandwidth, and each upstream endpoint's health."})
public final class TopCommand extends ClientCommand {
  private static final String CLEAR = "\033[H\033[2J";
  private static final Duration MIN_INTERVAL = Duration.ofMillis(100);

  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "2s", converter = IntervalConverter.class,
      description = "time between refreshes, such as 500ms or 5s (default: ${DEFAULT-VALUE})")
  Duration interval;

  @Option(names = "--once", description = "print the tables once, without clearing the screen, and exit")
  boolean once;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
      description = "with --once: json or yaml, the admin API's statistics (GET /api/v1/stats), for scripts")
  Printed.@Nullable Format output;

  @Override
  int run(AdminClient client) {
    if (output != null && !once) throw new CliException(2, java.util.List.of("error: -o " + output + " needs --once: it prints the statistics once"));
    JsonNode stats = client.get("/api/v1/stats");
    if (output != null) {
      Printed.print(stats, output);
      return 0;
    }
    if (once) {
      render(stats, null).forEach(System.out::println);
      return 0;
    }
    PrintStream out = System.out;
    while (true) {
      out.print(CLEAR);
      render(stats, "sluice top - " + client.server() + " - every " + human(interval) + ", Ctrl-C to quit")
          .forEach(out::println);
      out.flush();
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      }
      try {
        stats = client.get("/api/v1/stats");
      } catch (CliException e) {
        out.print(CLEAR);
        e.lines().forEach(out::println);
        out.println("(retrying every " + human(interval) + ")");
        out.flush();
        stats = null;
        while (stats == null) {
          try {
            Thread.sleep(interval);
            stats = client.get("/api/v1/stats");
          } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            return 0;
          } catch (CliException again) {
            // still down: the message on screen stands
          }
        }
      }
    }
  }

  /** The tables for one {@code /api/v1/stats} answer, headed by {@code title} and the stats' time. */
  static List<String> render(JsonNode stats, @org.jspecify.annotations.Nullable String title) {
    List<String> out = new ArrayList<>();
    if (title != null) out.add(title);
    out.add("time " + stats.path("time").asText() + "  (rates over 1m, latency over 5m)");
    out.add("");
    Table routes = new Table("ROUTE", "REQUESTS", "RPS", "ERR%", "P50ms", "P99ms", "P99.9ms", "IN KiB/s", "OUT KiB/s");
    for (JsonNode r : stats.path("routes")) routes.row(traffic(r.path("name").asText(), r.path("traffic")));
    if (routes.size() == 0) out.add("(no routes)");
    else out.addAll(routes.lines(""));
    out.add("");
    Table upstreams = new Table("UPSTREAM", "REQUESTS", "RPS", "ERR%", "P50ms", "P99ms", "P99.9ms", "IN KiB/s", "OUT KiB/s",
        "HEALTH");
    for (JsonNode u : stats.path("upstreams")) {
      int healthy = 0;
      int all = 0;
      for (JsonNode e : u.path("endpoints")) {
        all++;
        if (e.path("healthy").asBoolean()) healthy++;
      }
      upstreams.row(with(traffic(u.path("name").asText(), u.path("traffic")), healthy + "/" + all + " up"));
      for (JsonNode e : u.path("endpoints")) {
        String health = (e.path("healthy").asBoolean() ? "up" : "DOWN") + ", " + e.path("openConnections").asInt()
            + " conn, " + e.path("activeRequests").asInt() + " active";
        upstreams.row(with(traffic("  " + e.path("address").asText(), e.path("traffic")), health));
      }
    }
    if (upstreams.size() == 0) out.add("(no upstreams)");
    else out.addAll(upstreams.lines(""));
    return out;
  }

  private static Object[] traffic(String name, JsonNode t) {
    double rps = t.path("requestRate").path("m1").asDouble();
    double errs = t.path("errorRate").path("m1").asDouble();
    JsonNode l = t.path("latency");
    JsonNode b = t.path("bandwidth");
    return new Object[] {name, t.path("requests").asLong(), fixed(rps, 2), rps > 0 ? fixed(100 * errs / rps, 1) : "-",
        fixed(l.path("p50").asDouble(), 1), fixed(l.path("p99").asDouble(), 1), fixed(l.path("p999").asDouble(), 1),
        fixed(b.path("inRate").path("m1").asDouble() / 1024, 1), fixed(b.path("outRate").path("m1").asDouble() / 1024, 1)};
  }

  private static Object[] with(Object[] cells, Object last) {
    Object[] out = java.util.Arrays.copyOf(cells, cells.length + 1);
    out[cells.length] = last;
    return out;
  }

  private static String fixed(double v, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** {@code --interval}: a duration as in the configuration ({@code 500ms}, {@code 2s}), at least 100ms. */
  static final class IntervalConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d;
      try {
        d = Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("expected a duration such as 500ms, 2s or 1m, got '" + value + "'");
      }
      if (d.compareTo(MIN_INTERVAL) < 0) {
        throw new TypeConversionException("must be at least 100ms, got '" + value + "'");
      }
      return d;
    }
  }
}
