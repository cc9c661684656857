package io.sluice.filters.testing;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.util.List;
import java.util.Map;

/** Gateways and requests for the filter tests: one listener {@code main}, one upstream {@code backend}. */
public final class Gateways {
  private Gateways() {}

  /** A listener "main", an upstream "backend" at {@code address}, then {@code objects} (YAML documents). */
  public static GatewayFixture start(String address, String objects) throws Exception {
    return GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {connect: 2s, response: 5s}
        ---
        """.formatted(0, address) + objects);
  }

  /** A gateway with one catch-all route to {@code backend} whose spec also has {@code specLines} (YAML, unindented). */
  public static GatewayFixture withRoute(String address, String specLines) throws Exception {
    return start(address, route("r", specLines));
  }

  /** A Route document named {@code name} to {@code backend}, with {@code specLines} added to its spec. */
  public static String route(String name, String specLines) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          upstream: backend
        %s
        ---
        """.formatted(name, specLines.indent(2).stripTrailing());
  }

  /** An upstream that answers 200 "ok" with {@code X-Upstream: yes} and {@code Content-Type: text/plain}. */
  public static TestUpstream okUpstream() throws Exception {
    return TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("X-Upstream", "yes", "Content-Type", "text/plain"), "ok"));
  }

  /** Sends {@code METHOD target HTTP/1.1} with Host {@code test.local} and {@code headers} on a new connection. */
  public static RawConnection.Response send(GatewayFixture gw, String method, String target, String... headers) throws Exception {
    try (RawConnection c = RawConnection.open(gw.port())) {
      StringBuilder req = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: test.local\r\n");
      for (String h : headers) req.append(h).append("\r\n");
      c.send(req.append("\r\n").toString());
      return method.equals("HEAD") ? c.readHeadResponse() : c.readResponse();
    }
  }

  public static RawConnection.Response get(GatewayFixture gw, String target, String... headers) throws Exception {
    return send(gw, "GET", target, headers);
  }

  /** Every value of a header in a response, in order. */
  public static List<String> values(RawConnection.Response r, String name) {
    return r.headers().stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
  }

  /** Every value of a header the upstream received, in order. */
  public static List<String> values(TestUpstream.Received r, String name) {
    return r.headers().stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
  }
}
