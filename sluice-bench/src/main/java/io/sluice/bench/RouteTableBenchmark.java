package io.sluice.bench;

import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.route.RouteEntry;
import io.sluice.proxy.route.RouteTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link RouteTable#match} on tables of growing size; the time per match should hardly grow with
 * the table. Also {@link RouteTable#update} of one route against {@link RouteTable#compile} of the
 * whole table, which it replaces on configuration changes.
 *
 * <p>Besides {@value #REGEX_ROUTES} regex routes, present at every size so that their (scanned)
 * cost stays the same, the table has services {@code svc0 … svcN}, five routes each: an exact
 * health check, an API prefix, a user template, a deeper order template limited to GET and POST
 * with a header condition, and a prefix route on the service's own host. The requests rotate over
 * services spread across the whole table and over every kind of route, plus paths that only a
 * regex takes and a path nothing takes (which tries all regex routes).
 *
 * <p>The update benchmarks change a copy of that table one route at a time, keeping each result,
 * so that costs that come only now and then (re-ranking neighbours when a gap between ranks runs
 * out) are averaged in: {@code updatePriority} flips the priority of one service's API prefix
 * (moving it across the table in precedence order, as bench/config-churn.sh's bursts do), and
 * {@code addAndRemove} adds an exact route named in sequence, which lands next to the previous
 * one, and removes the one added 64 steps before.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RouteTableBenchmark {
  private static final int REGEX_ROUTES = 5;
  private static final int ROUTES_PER_SERVICE = 5;
  /** A power of two, so the rotation is a mask; large enough to defeat branch-history luck. */
  private static final int REQUESTS = 1024;

  @Param({"10", "1000", "100000"})
  int routes;

  private RouteTable<String> table;
  private final Request[] requests = new Request[REQUESTS];
  private int next;

  private List<RouteEntry<String>> entries;
  private int services;
  /** What the update benchmarks change, starting from {@link #table}. */
  private RouteTable<String> updated;
  private int updates;

  @Setup
  public void setUp() {
    if (routes < REGEX_ROUTES + ROUTES_PER_SERVICE) {
      throw new IllegalArgumentException("routes must be at least " + (REGEX_ROUTES + ROUTES_PER_SERVICE));
    }
    entries = new ArrayList<>(routes);
    entries.add(route("regex-legacy", PathMatch.regex("/legacy/[a-z]+/v[0-9]+/.*")));
    entries.add(route("regex-assets", PathMatch.regex("/assets/.+\\.(css|js|png)")));
    entries.add(route("regex-reports", PathMatch.regex("/reports/[0-9]{4}-[0-9]{2}(/.*)?")));
    entries.add(route("regex-files", PathMatch.regex("/files/[^/]+/download")));
    entries.add(route("regex-admin", PathMatch.regex("(?i)/admin(/.*)?")));
    services = (routes - REGEX_ROUTES) / ROUTES_PER_SERVICE;
    for (int s = 0; s < services; s++) {
      String svc = "/svc" + s;
      entries.add(route("health-" + s, PathMatch.exact(svc + "/health")));
      entries.add(apiRoute(s, 0));
      entries.add(route("user-" + s, PathMatch.template(svc + "/users/{id}")));
      entries.add(new RouteEntry<>("orders-" + s, spec(List.of(), new RouteMatch(
          PathMatch.template(svc + "/users/{id}/orders/{order}"),
          List.of("GET", "POST"),
          List.of(KeyMatch.present("authorization")),
          List.of())), "orders-" + s));
      entries.add(new RouteEntry<>("host-" + s, spec(List.of("svc" + s + ".example.com"),
          new RouteMatch(PathMatch.prefix("/"), null, null, null)), "host-" + s));
    }
    table = RouteTable.compile(entries);
    updated = table;

    for (int i = 0; i < REQUESTS; i++) {
      // 7919 is prime, so consecutive requests land on services far apart.
      int s = (int) ((long) i * 7919 % services);
      requests[i] = switch (i % 8) {
        case 0 -> new Request("example.com", "/svc" + s + "/health", "health-" + s);
        case 1 -> new Request("example.com", "/svc" + s + "/api/v1/items/" + i, "api-" + s);
        case 2 -> new Request("example.com", "/svc" + s + "/users/" + i, "user-" + s);
        case 3 -> new Request("example.com", "/svc" + s + "/users/" + i + "/orders/9", "orders-" + s);
        case 4 -> new Request("svc" + s + ".example.com", "/any/path", "host-" + s);
        case 5 -> new Request("example.com", "/assets/css/site.css", "regex-assets");
        case 6 -> new Request("example.com", "/reports/2024-05/summary", "regex-reports");
        default -> new Request("example.com", "/svc" + s + "/unknown", null);
      };
    }
    for (Request request : requests) {
      if (!Objects.equals(table.match(request), request.expected)) {
        throw new IllegalStateException(request.path + " matched " + table.match(request) + ", expected " + request.expected);
      }
    }
  }

  @Benchmark
  public @Nullable String match() {
    return table.match(requests[next++ & (REQUESTS - 1)]);
  }

  @Benchmark
  public RouteTable<String> compile() {
    return RouteTable.compile(entries);
  }

  @Benchmark
  public RouteTable<String> updatePriority() {
    // The stride visits every service once per pass; odd passes set priority 1, even ones undo it.
    int s = (int) ((long) updates * 7919 % services);
    int priority = (updates / services) % 2 == 0 ? 1 : 0;
    updates++;
    updated = updated.update(List.of(apiRoute(s, priority)), List.of());
    return updated;
  }

  @Benchmark
  public RouteTable<String> addAndRemove() {
    int n = updates++;
    RouteEntry<String> added = route(String.format("new-%09d", n), PathMatch.exact("/new/" + n));
    List<String> removed = n >= 64 ? List.of(String.format("new-%09d", n - 64)) : List.of();
    updated = updated.update(List.of(added), removed);
    return updated;
  }

  private static RouteEntry<String> apiRoute(int service, int priority) {
    RouteMatch match = new RouteMatch(PathMatch.prefix("/svc" + service + "/api"), null, null, null);
    return new RouteEntry<>("api-" + service, new RouteSpec(null, List.of(), priority, match, "upstream", null, null),
        "api-" + service);
  }

  private static RouteEntry<String> route(String name, PathMatch path) {
    return new RouteEntry<>(name, spec(List.of(), new RouteMatch(path, null, null, null)), name);
  }

  private static RouteSpec spec(List<String> hosts, RouteMatch match) {
    return new RouteSpec(null, hosts, 0, match, "upstream", null, null);
  }

  private static final class Request implements RequestView {
    private static final Map<String, String> HEADERS = Map.of("authorization", "Bearer x", "accept", "*/*");

    private final String host;
    private final String path;
    private final @Nullable String expected;

    Request(String host, String path, @Nullable String expected) {
      this.host = host;
      this.path = path;
      this.expected = expected;
    }

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String host() {
      return host;
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public @Nullable String query() {
      return null;
    }

    @Override
    public @Nullable String header(String lowerCaseName) {
      return HEADERS.get(lowerCaseName);
    }

    @Override
    public String clientIp() {
      return "10.0.0.1";
    }
  }
}
