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
 * the table.
 *
 * <p>Besides {@value #REGEX_ROUTES} regex routes, present at every size so that their (scanned)
 * cost stays the same, the table has services {@code svc0 … svcN}, five routes each: an exact
 * health check, an API prefix, a user template, a deeper order template limited to GET and POST
 * with a header condition, and a prefix route on the service's own host. The requests rotate over
 * services spread across the whole table and over every kind of route, plus paths that only a
 * regex takes and a path nothing takes (which tries all regex routes).
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

  @Setup
  public void setUp() {
    if (routes < REGEX_ROUTES + ROUTES_PER_SERVICE) {
      throw new IllegalArgumentException("routes must be at least " + (REGEX_ROUTES + ROUTES_PER_SERVICE));
    }
    List<RouteEntry<String>> entries = new ArrayList<>(routes);
    entries.add(route("regex-legacy", PathMatch.regex("/legacy/[a-z]+/v[0-9]+/.*")));
    entries.add(route("regex-assets", PathMatch.regex("/assets/.+\\.(css|js|png)")));
    entries.add(route("regex-reports", PathMatch.regex("/reports/[0-9]{4}-[0-9]{2}(/.*)?")));
    entries.add(route("regex-files", PathMatch.regex("/files/[^/]+/download")));
    entries.add(route("regex-admin", PathMatch.regex("(?i)/admin(/.*)?")));
    int services = (routes - REGEX_ROUTES) / ROUTES_PER_SERVICE;
    for (int s = 0; s < services; s++) {
      String svc = "/svc" + s;
      entries.add(route("health-" + s, PathMatch.exact(svc + "/health")));
      entries.add(route("api-" + s, PathMatch.prefix(svc + "/api")));
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
