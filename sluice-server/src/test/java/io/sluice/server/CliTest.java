package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a real server, both as processes: every command, its output and its exit code.
 * The tests share one server; each works on objects of its own.
 */
class CliTest {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private static ControlPlane cp;
  private static TestUpstream blue;
  private static TestUpstream green;
  private static int port;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    blue = TestUpstream.named("blue");
    green = TestUpstream.named("green");
    port = GatewayFixture.freePort();
    cp = ControlPlane.start();
    Path tmp = Files.createTempDirectory("sluice-cli");
    try {
      ServerProcess.Result r = cp.sluice("apply", "-f", ControlPlane.write(tmp, "base.yaml", """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec: {address: 127.0.0.1:%d}
          ---
          apiVersion: sluice.io/v1
          kind: Upstream
          metadata: {name: blue}
          spec:
            endpoints: [{address: %s}]
          ---
          apiVersion: sluice.io/v1
          kind: Upstream
          metadata: {name: green}
          spec:
            endpoints: [{address: %s}]
            loadBalancer: {policy: least-request}
          """.formatted(port, blue.address(), green.address())).toString(), "-m", "base");
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      assertThat(r.stdoutLines()).containsExactly("Upstream/blue created", "Upstream/green created", "Listener/main created",
          "applied as revision 1");
    } finally {
      ServerProcess.deleteRecursively(tmp);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (cp != null) cp.close();
    if (blue != null) blue.close();
    if (green != null) green.close();
  }

  private static String route(String name, String prefix, String upstream) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match:
            path: {prefix: %s}
          upstream: %s
        """.formatted(name, prefix, upstream);
  }

  private static String direct(String name, String path, String body) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match:
            path: {exact: %s}
          directResponse: {status: 200, body: %s}
        """.formatted(name, path, body);
  }

  private Path file(String name, String text) {
    return ControlPlane.write(dir, name, text);
  }

  private static long revisionOf(ServerProcess.Result r) {
    String last = r.stdoutLines().getLast();
    assertThat(last).as(r.stdout()).startsWith("applied as revision ");
    return Long.parseLong(last.substring("applied as revision ".length()));
  }

  @Test
  void objectsAreCreatedListedShownUpdatedAndDeletedThroughTheCli() throws Exception {
    ServerProcess.Result created = cp.sluice("apply", "-f", file("crud.yaml", route("crud", "/crud", "blue")).toString());
    assertThat(created.exitCode()).as(created.stderr()).isZero();
    assertThat(created.stdoutLines().getFirst()).isEqualTo("Route/crud created");
    long rev = revisionOf(created);

    ServerProcess.Result wide = cp.sluice("get", "routes", "crud", "-o", "wide");
    assertThat(wide.exitCode()).as(wide.stderr()).isZero();
    assertThat(wide.stdoutLines()).hasSize(2);
    assertThat(wide.stdoutLines().get(0)).matches("KIND +NAME +REVISION +SUMMARY");
    assertThat(wide.stdoutLines().get(1)).matches("Route +crud +" + rev + " +\\* prefix:/crud -> blue");

    ServerProcess.Result upstreams = cp.sluice("get", "Upstream");
    assertThat(upstreams.exitCode()).as(upstreams.stderr()).isZero();
    assertThat(upstreams.stdoutLines()).anySatisfy(l -> assertThat(l)
        .matches("Upstream +green +1 +" + Pattern.quote(green.address()) + " \\(least-request\\)"));
    ServerProcess.Result listeners = cp.sluice("get", "listener", "-o", "wide");
    assertThat(listeners.stdoutLines()).anySatisfy(l -> assertThat(l).matches("Listener +main +1 +127\\.0\\.0\\.1:" + port));

    ServerProcess.Result yaml = cp.sluice("get", "route", "crud", "-o", "yaml", "--with-revision");
    assertThat(yaml.exitCode()).as(yaml.stderr()).isZero();
    assertThat(yaml.stdout()).isEqualTo("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata:
          name: crud
          revision: %d
        spec:
          priority: 0
          match:
            path:
              prefix: /crud
          upstream: blue
        """.formatted(rev));

    ServerProcess.Result json = cp.sluice("get", "routes", "crud", "-o", "json", "--with-revision");
    JsonNode node = ControlPlane.JSON.readTree(json.stdout());
    assertThat(node.path("metadata").path("revision").asLong()).isEqualTo(rev);
    assertThat(node.path("spec").path("upstream").asText()).isEqualTo("blue");

    ServerProcess.Result updated = cp.sluice("apply", "-f", file("crud.yaml", route("crud", "/crud", "green")).toString());
    assertThat(updated.stdoutLines().getFirst()).isEqualTo("Route/crud updated");
    ServerProcess.Result again = cp.sluice("apply", "-f", dir.resolve("crud.yaml").toString());
    assertThat(again.stdoutLines()).containsExactly("Route/crud unchanged", "nothing changed (revision " + revisionOf(updated) + ")");

    ServerProcess.Result deleted = cp.sluice("delete", "route", "crud");
    assertThat(deleted.exitCode()).as(deleted.stderr()).isZero();
    assertThat(deleted.stdoutLines()).containsExactly("Route/crud deleted (revision " + (revisionOf(updated) + 1) + ")");

    ServerProcess.Result gone = cp.sluice("get", "route", "crud");
    assertThat(gone.exitCode()).isEqualTo(1);
    assertThat(gone.stdout()).isEmpty();
    assertThat(gone.stderrLines()).hasSize(1);
    assertThat(gone.stderrLines().getFirst()).startsWith("error: 404 not_found: ").contains("Route/crud");
  }

  @Test
  void aDirectoryWithOneBadObjectAppliesNothingAndTheErrorNamesFileObjectAndField() throws Exception {
    Path config = dir.resolve("config");
    ControlPlane.write(config, "a-good.yaml", direct("batch-good", "/batch-good", "new"));
    ControlPlane.write(config, "b-bad.yaml", direct("batch-other", "/batch-other", "x") + "---\n" + route("batch-bad", "/batch-bad", "missing"));

    ServerProcess.Result r = cp.sluice("apply", "-f", config.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderrLines()).as(r.stderr()).anySatisfy(l -> assertThat(l)
        .isEqualTo(config + "/b-bad.yaml:15:3: Route/batch-bad: spec.upstream: Upstream 'missing' does not exist"));
    assertThat(r.stderr()).contains("error: 422 invalid").doesNotContain("Exception", "\tat ");
    ServerProcess.Result get = cp.sluice("get", "route", "batch-good");
    assertThat(get.exitCode()).isEqualTo(1);
    assertThat(cp.sluice("get", "route", "batch-other").exitCode()).isEqualTo(1);

    // A file the CLI cannot even read is reported with its line and field, and nothing is sent.
    ControlPlane.write(config, "b-bad.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: batch-bad}
        spec:
          match:
            path: {prefix: /x}
          upstrem: blue
        """);
    ServerProcess.Result local = cp.sluice("apply", "-f", config.toString());
    assertThat(local.exitCode()).isEqualTo(1);
    assertThat(local.stderrLines()).as(local.stderr()).hasSize(2);
    assertThat(local.stderrLines().get(0)).startsWith(config + "/b-bad.yaml:7: Route/batch-bad: spec.upstrem: unknown field 'upstrem'");
    assertThat(local.stderrLines().get(1)).isEqualTo("error: 1 error(s) in " + config + "; nothing was sent");
    assertThat(cp.sluice("get", "route", "batch-good").exitCode()).isEqualTo(1);
  }

  @Test
  void applyReadsStdinAndNamesItInErrors() throws Exception {
    ServerProcess.Result ok = cp.sluiceWithInput(direct("from-stdin", "/from-stdin", "piped"), "apply", "-f", "-");
    assertThat(ok.exitCode()).as(ok.stderr()).isZero();
    assertThat(ok.stdoutLines().getFirst()).isEqualTo("Route/from-stdin created");

    ServerProcess.Result bad = cp.sluiceWithInput(direct("stdin-bad", "/x", "y") + "---\n" + route("stdin-dangling", "/d", "nowhere"),
        "apply", "--dry-run", "-f", "-");
    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.stderrLines().getFirst()).isEqualTo("<stdin>:15:3: Route/stdin-dangling: spec.upstream: Upstream 'nowhere' does not exist");
  }

  @Test
  void applyingAnObjectWithAStaleRevisionIsAConflictAndChangesNothing() throws Exception {
    cp.sluice("apply", "-f", file("cas.yaml", direct("cas", "/cas", "one")).toString());
    ServerProcess.Result yaml = cp.sluice("get", "route", "cas", "-o", "yaml", "--with-revision");
    long read = Long.parseLong(yaml.stdout().lines().filter(l -> l.strip().startsWith("revision: ")).findFirst().orElseThrow()
        .strip().substring("revision: ".length()).replace("'", "").replace("\"", ""));
    Path stale = file("stale.yaml", yaml.stdout().replace("body: one", "body: stale"));
    ServerProcess.Result second = cp.sluice("apply", "-f", file("cas.yaml", direct("cas", "/cas", "two")).toString());
    long current = revisionOf(second);

    ServerProcess.Result r = cp.sluice("apply", "-f", stale.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).containsExactly("error: 409 conflict (revision_mismatch): Route/cas: metadata.revision " + read
        + " is not the current revision " + current + ": the object changed since it was read; drop metadata.revision to"
        + " overwrite, or get it again");
    ServerProcess.Result now = cp.sluice("get", "route", "cas", "-o", "yaml", "--with-revision");
    assertThat(now.stdout()).contains("body: two", "revision: " + current);

    // With the revision it now has, the same change goes through.
    Path fresh = file("fresh.yaml", now.stdout().replace("body: two", "body: three"));
    ServerProcess.Result ok = cp.sluice("apply", "-f", fresh.toString());
    assertThat(ok.exitCode()).as(ok.stderr()).isZero();
    assertThat(ok.stdoutLines().getFirst()).isEqualTo("Route/cas updated");
  }

  @Test
  void aRouteToAMissingUpstreamIsRefusedAndAReferencedUpstreamCannotBeDeleted() throws Exception {
    ServerProcess.Result dangling = cp.sluice("apply", "-f", file("dangling.yaml", route("dangling", "/dangling", "nope")).toString());
    assertThat(dangling.exitCode()).isEqualTo(1);
    assertThat(dangling.stderrLines()).as(dangling.stderr())
        .contains(dir + "/dangling.yaml:7:3: Route/dangling: spec.upstream: Upstream 'nope' does not exist");

    cp.sluice("apply", "-f", file("refs.yaml", """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: shared}
        spec:
          endpoints: [{address: %s}]
        """.formatted(blue.address()) + "---\n" + route("ref-a", "/ref-a", "shared") + "---\n" + route("ref-b", "/ref-b", "shared")).toString());

    ServerProcess.Result r = cp.sluice("delete", "upstream", "shared");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderr()).as(r.stderr()).startsWith("error: 409 conflict (referenced): ")
        .contains("Upstream/shared is referred to by Route/ref-a, Route/ref-b");
    assertThat(cp.sluice("get", "upstream", "shared").exitCode()).isZero();

    ServerProcess.Result describe = cp.sluice("describe", "upstreams", "shared");
    assertThat(describe.exitCode()).as(describe.stderr()).isZero();
    assertThat(describe.stdoutLines()).contains("Referred to by: Route/ref-a, Route/ref-b", "Refers to:      (nothing)");
    assertThat(describe.stdout()).startsWith("apiVersion: sluice.io/v1\nkind: Upstream\nmetadata:\n  name: shared\n");
    assertThat(describe.stdoutLines()).anySatisfy(l -> assertThat(l).matches("  \\d+ +\\S+ +local +created"));
  }

  @Test
  void aFunctionARouteCallsCannotBeDeletedNorItsUpstream() throws Exception {
    ServerProcess.Result applied = cp.sluice("apply", "-f", file("functions.yaml", """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: fn-up}
        spec:
          endpoints: [{address: %s}]
        ---
        apiVersion: sluice.io/v1
        kind: Function
        metadata: {name: enrich}
        spec: {upstream: fn-up, timeout: 2s}
        ---
        """.formatted(blue.address()) + route("fn-user", "/fn-user", "blue") + """
          filters:
            - kind: function
              config: {function: enrich, use: request-edits}
        """).toString());
    assertThat(applied.exitCode()).as(applied.stderr()).isZero();

    ServerProcess.Result function = cp.sluice("delete", "function", "enrich");
    assertThat(function.exitCode()).isEqualTo(1);
    assertThat(function.stderr()).as(function.stderr()).startsWith("error: 409 conflict (referenced): ")
        .contains("Function/enrich is referred to by Route/fn-user");
    assertThat(cp.sluice("get", "function", "enrich").exitCode()).isZero();

    ServerProcess.Result upstream = cp.sluice("delete", "upstream", "fn-up");
    assertThat(upstream.exitCode()).isEqualTo(1);
    assertThat(upstream.stderr()).as(upstream.stderr()).contains("Upstream/fn-up is referred to by Function/enrich");
  }

  @Test
  void historyDiffAndRollbackMakeARoundTrip() throws Exception {
    Path v1 = file("v1.yaml", direct("timeline", "/timeline", "first"));
    Path v2 = file("v2.yaml", direct("timeline", "/timeline", "second"));
    long r1 = revisionOf(cp.sluice("apply", "-f", v1.toString(), "-m", "first version"));
    long r2 = revisionOf(cp.sluice("apply", "-f", v2.toString(), "--message", "second version"));

    ServerProcess.Result history = cp.sluice("history", "route", "timeline");
    assertThat(history.exitCode()).as(history.stderr()).isZero();
    assertThat(history.stdoutLines()).hasSize(3);
    assertThat(history.stdoutLines().get(0)).matches("REVISION +TIME +AUTHOR +CHANGE +MESSAGE");
    assertThat(history.stdoutLines().get(1)).matches(r1 + " +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +local +created +first version");
    assertThat(history.stdoutLines().get(2)).matches(r2 + " +\\S+ +local +updated +second version");

    ServerProcess.Result diff = cp.sluice("diff", "-f", v1.toString());
    assertThat(diff.exitCode()).as(diff.stderr()).isEqualTo(1);
    assertThat(diff.stdoutLines()).contains("--- Route/timeline@" + r2, "+++ Route/timeline (new)", "-    body: second",
        "+    body: first");

    ServerProcess.Result rollback = cp.sluice("rollback", "route", "timeline", "--to", Long.toString(r1));
    assertThat(rollback.exitCode()).as(rollback.stderr()).isZero();
    assertThat(rollback.stdoutLines().getFirst()).isEqualTo("Route/timeline updated");
    long r3 = revisionOf(rollback);

    ServerProcess.Result clean = cp.sluice("diff", "-f", v1.toString());
    assertThat(clean.exitCode()).as(clean.stdout() + clean.stderr()).isZero();
    assertThat(clean.stdout()).isEmpty();
    ServerProcess.Result after = cp.sluice("history", "routes", "timeline");
    assertThat(after.stdoutLines().getLast()).matches(r3 + " +\\S+ +local +updated +.*" + r1 + ".*");

    // The whole configuration back to before the route existed: it is deleted, everything else stays.
    ServerProcess.Result all = cp.sluice("rollback", "--to", Long.toString(r1 - 1));
    assertThat(all.exitCode()).as(all.stderr()).isZero();
    assertThat(all.stdoutLines()).contains("Route/timeline deleted");
    assertThat(cp.sluice("get", "route", "timeline").exitCode()).isEqualTo(1);
    assertThat(cp.sluice("get", "upstream", "blue").exitCode()).isZero();
    cp.sluice("rollback", "--to", Long.toString(revisionOf(all) - 1));
  }

  @Test
  void routeTestSaysWhichRouteUpstreamPathAndHostARequestGets() throws Exception {
    cp.sluice("apply", "-f", file("rt.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: rt-api}
        spec:
          hosts: [api.example.com]
          match:
            path: {prefix: /rt/api}
            headers: [{name: x-team, exact: shop}]
          rewrite: {pathPrefix: /v1, host: shop.internal}
          upstream: green
        """).toString());

    // api.example.com:80 is not where the listener is: the operator names it.
    ServerProcess.Result r = cp.sluice("route-test", "GET", "http://api.example.com/rt/api/orders/7?x=1", "-H", "X-Team: shop",
        "--listener", "main");

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(
        "matched:  yes",
        "listener: main",
        "route:    rt-api",
        "upstream: green",
        "filters:  (none)",
        "path:     /v1/orders/7?x=1",
        "host:     shop.internal");

    ServerProcess.Result miss = cp.sluice("route-test", "GET", "http://api.example.com/rt/api/orders/7", "--listener", "main");
    assertThat(miss.exitCode()).isEqualTo(1);
    assertThat(miss.stdoutLines().getFirst()).isEqualTo(
        "matched:  no: no route of listener 'main' matches GET /rt/api/orders/7 with Host api.example.com (the proxy answers 404)");

    ServerProcess.Result badListener = cp.sluice("route-test", "GET", "http://a/", "--listener", "nope");
    assertThat(badListener.exitCode()).isEqualTo(1);
    assertThat(badListener.stderr()).startsWith("error: 400 bad_request: ").contains("nope");
  }

  @Test
  void trafficFollowsARouteAppliedThroughTheCli() throws Exception {
    Path f = file("traffic.yaml", route("traffic", "/traffic", "blue"));
    assertThat(cp.sluice("apply", "-f", f.toString()).exitCode()).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> proxyGet("/traffic/x"), r -> r.statusCode() == 200 && r.body().equals("blue"));

    assertThat(cp.sluice("apply", "-f", file("traffic.yaml", route("traffic", "/traffic", "green")).toString()).exitCode()).isZero();

    await().atMost(Duration.ofSeconds(10)).until(() -> proxyGet("/traffic/x").body(), "green"::equals);
    JsonNode status = cp.get("/api/v1/status");
    assertThat(status.path("appliedRevision").asLong()).isEqualTo(status.path("storeRevision").asLong());
  }

  private static HttpResponse<String> proxyGet(String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aListenerThatCannotBindLeavesThePreviousConfigServingUntilItIsFixed() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Path f = file("taken.yaml", """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: taken}
          spec: {address: 127.0.0.1:%d}
          """.formatted(taken.getLocalPort()) + "---\n" + direct("behind", "/behind", "behind"));
      cp.sluice("apply", "-f", file("kept.yaml", direct("kept", "/kept", "kept")).toString());
      await().atMost(Duration.ofSeconds(10)).until(() -> proxyGet("/kept").body(), "kept"::equals);
      long before = cp.get("/api/v1/status").path("appliedRevision").asLong();

      long rev = revisionOf(cp.sluice("apply", "-f", f.toString()));

      await().atMost(Duration.ofSeconds(10)).until(() -> cp.server().stderr().contains("revision " + rev + " not applied"));
      assertThat(cp.server().stderr()).containsPattern("ERROR StoreSync - revision " + rev
          + " not applied \\(failure \\d+ since start\\), revision " + before + " keeps serving: Listener/taken: cannot bind /127\\.0\\.0\\.1:"
          + taken.getLocalPort());
      ServerProcess.Result status = cp.sluice("status");
      assertThat(status.stdoutLines()).contains("store revision:   " + rev, "applied revision: " + before + " (behind the store)");
      assertThat(proxyGet("/behind").statusCode()).isEqualTo(404);
      assertThat(proxyGet("/kept").body()).isEqualTo("kept");

      ServerProcess.Result fixed = cp.sluice("delete", "listener", "taken", "--yes");
      assertThat(fixed.exitCode()).as(fixed.stderr()).isZero();
      await().atMost(Duration.ofSeconds(10)).until(() -> proxyGet("/behind").body(), "behind"::equals);
      JsonNode s = cp.get("/api/v1/status");
      assertThat(s.path("appliedRevision").asLong()).isEqualTo(s.path("storeRevision").asLong());
    }
  }

  @Test
  void statusShowsTheNodeItsRevisionsAndListeners() throws Exception {
    ServerProcess.Result r = cp.sluice("status");

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    List<String> lines = r.stdoutLines();
    assertThat(lines.get(0)).isEqualTo("node:             test-node");
    assertThat(lines.get(2)).matches("store revision: +\\d+");
    assertThat(lines.get(3)).matches("applied revision: \\d+ \\((up to date|behind the store)\\)");
    assertThat(lines).contains("listeners:        main 127.0.0.1:" + port);
    // BoringSSL through netty-tcnative loads on the platforms the build runs on.
    assertThat(lines).anyMatch(l -> l.matches("tls provider: {5}openssl \\(BoringSSL.*\\)"));

    // The global options may come before the command too.
    ServerProcess.Result before = ServerProcess.run("--server", cp.url(), "status");
    assertThat(before.exitCode()).as(before.stderr()).isZero();
    assertThat(before.stdoutLines().getFirst()).isEqualTo("node:             test-node");
  }

  @Test
  void anExportedObjectHasNoRevisionAndAppliesAgainAfterItChanged() throws Exception {
    cp.sluice("apply", "-f", file("export.yaml", direct("export", "/export", "one")).toString());
    ServerProcess.Result yaml = cp.sluice("get", "route", "export", "-o", "yaml");
    ServerProcess.Result json = cp.sluice("get", "routes", "-o", "json");
    assertThat(yaml.exitCode()).as(yaml.stderr()).isZero();
    assertThat(yaml.stdout()).contains("name: export").doesNotContain("revision");
    assertThat(json.stdout()).contains("\"export\"").doesNotContain("\"revision\"");
    Path exported = file("exported.yaml", yaml.stdout().replace("body: one", "body: exported"));
    cp.sluice("apply", "-f", file("export.yaml", direct("export", "/export", "two")).toString());

    ServerProcess.Result r = cp.sluice("apply", "-f", exported.toString());

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines().getFirst()).isEqualTo("Route/export updated");
    assertThat(cp.sluice("get", "route", "export", "-o", "yaml").stdout()).contains("body: exported");
  }

  @Test
  void applyTakesTheListTheAdminApiAnswersAndAYamlList() throws Exception {
    cp.sluice("apply", "-f", file("list.yaml", direct("list-a", "/list-a", "list-one")).toString());
    String listed = cp.send("GET", "/api/v1/routes", null, null).body();
    assertThat(listed).startsWith("{\"revision\":").contains("\"items\":[", "list-one");
    Path json = file("routes.json", listed.replace("list-one", "list-two"));
    Path yamlList = file("list-of-routes.yaml", """
        - apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: list-y1}
          spec:
            match: {path: {exact: /list-y1}}
            directResponse: {status: 200, body: y1}
        - apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: list-y2}
          spec:
            match: {path: {exact: /list-y2}}
            directResponse: {status: 200, body: y2}
        """);

    ServerProcess.Result fromJson = cp.sluice("apply", "-f", json.toString());
    ServerProcess.Result fromYaml = cp.sluice("apply", "-f", yamlList.toString());

    assertThat(fromJson.exitCode()).as(fromJson.stderr()).isZero();
    assertThat(fromJson.stdoutLines()).contains("Route/list-a updated");
    assertThat(fromYaml.exitCode()).as(fromYaml.stderr()).isZero();
    assertThat(fromYaml.stdoutLines()).containsExactly("Route/list-y1 created", "Route/list-y2 created",
        "applied as revision " + (revisionOf(fromJson) + 1));
  }

  @Test
  void diffExitsTwoOnAnErrorAndOneOnlyForChanges() throws Exception {
    Path bad = file("diff-bad.yaml", direct("diff-bad", "/diff-bad", "x").replace("directResponse", "directRespons"));
    Path good = file("diff-good.yaml", direct("diff-good", "/diff-good", "x"));

    ServerProcess.Result invalid = cp.sluice("diff", "-f", bad.toString());
    ServerProcess.Result unreachable = ServerProcess.run("diff", "-f", good.toString(), "--server",
        "http://127.0.0.1:" + GatewayFixture.closedPort());
    ServerProcess.Result changes = cp.sluice("diff", "-f", good.toString());

    assertThat(invalid.exitCode()).as(invalid.stderr()).isEqualTo(2);
    assertThat(invalid.stderrLines().getLast()).isEqualTo("error: 1 error(s) in " + bad + "; nothing was sent");
    assertThat(unreachable.exitCode()).as(unreachable.stderr()).isEqualTo(2);
    assertThat(unreachable.stderr()).startsWith("error: cannot reach the admin API at ");
    assertThat(changes.exitCode()).as(changes.stderr()).isEqualTo(1);
  }

  @Test
  void routeTestPicksTheListenerServingTheUrlsAddressAndSaysWhenThereIsNone() throws Exception {
    cp.sluice("apply", "-f", file("addr.yaml", direct("rt-addr", "/rt-addr", "here")).toString());
    int nobody = GatewayFixture.closedPort();

    ServerProcess.Result hit = cp.sluice("route-test", "GET", "http://127.0.0.1:" + port + "/rt-addr");
    ServerProcess.Result localhost = cp.sluice("route-test", "GET", "http://localhost:" + port + "/rt-addr");
    ServerProcess.Result noRoute = cp.sluice("route-test", "GET", "http://127.0.0.1:" + port + "/rt-addr-nowhere");
    ServerProcess.Result noListener = cp.sluice("route-test", "GET", "http://127.0.0.1:" + nobody + "/rt-addr");

    assertThat(hit.exitCode()).as(hit.stderr()).isZero();
    assertThat(hit.stdoutLines()).startsWith("matched:  yes", "listener: main", "route:    rt-addr");
    assertThat(localhost.exitCode()).as(localhost.stderr()).isZero();
    assertThat(localhost.stdoutLines()).startsWith("matched:  yes", "listener: main", "route:    rt-addr");
    assertThat(noRoute.exitCode()).isEqualTo(1);
    assertThat(noRoute.stdoutLines()).startsWith("matched:  no: no route of listener 'main' matches GET /rt-addr-nowhere"
        + " with Host 127.0.0.1:" + port + " (the proxy answers 404)", "listener: main", "route:    -");
    // What the proxy on that address really answers.
    HttpResponse<String> real = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/rt-addr-nowhere")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(real.statusCode()).isEqualTo(404);
    assertThat(noListener.exitCode()).isEqualTo(1);
    assertThat(noListener.stdoutLines().getFirst()).startsWith("matched:  no: no listener serves 127.0.0.1:" + nobody + "; listeners: ")
        .contains("main on 127.0.0.1:" + port);
    assertThat(noListener.stdoutLines().get(1)).isEqualTo("listener: (none)");
  }

  @Test
  void aRollbackThatDeletesAListenerNeedsYesAndItsDryRunChangesNothing() throws Exception {
    long before = cp.get("/api/v1/status").path("storeRevision").asLong();
    ServerProcess.Result created = cp.sluice("apply", "-f", file("guard.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: guarded}
        spec: {address: 127.0.0.1:0}
        """).toString());
    assertThat(created.exitCode()).as(created.stderr()).isZero();
    String to = Long.toString(before);

    ServerProcess.Result refused = cp.sluice("rollback", "listener", "guarded", "--to", to);
    ServerProcess.Result dryRun = cp.sluice("rollback", "listener", "guarded", "--to", to, "--dry-run");

    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.stderrLines()).containsExactly("error: rollback of listener guarded to revision " + before
        + " deletes 1 object(s) (1 listener(s): their ports stop answering): Listener/guarded; pass --yes to do it"
        + " (--dry-run shows the changes first); nothing was changed");
    assertThat(dryRun.exitCode()).as(dryRun.stderr()).isZero();
    assertThat(dryRun.stdoutLines()).contains("Listener/guarded deleted (dry run)",
        "dry run: nothing applied (checked against revision " + revisionOf(created) + ")");
    assertThat(dryRun.stdoutLines().getFirst()).startsWith("--- Listener/guarded@" + revisionOf(created));
    assertThat(cp.sluice("get", "listener", "guarded").exitCode()).isZero();

    ServerProcess.Result yes = cp.sluice("rollback", "listener", "guarded", "--to", to, "--yes");

    assertThat(yes.exitCode()).as(yes.stderr()).isZero();
    assertThat(yes.stdoutLines()).containsExactly("Listener/guarded deleted", "applied as revision " + (revisionOf(created) + 1));
    assertThat(cp.sluice("get", "listener", "guarded").exitCode()).isEqualTo(1);
  }

  @Test
  void aRollbackThatDeletesMoreThanFiveObjectsOrADeleteOfAListenerNeedsYes() throws Exception {
    long before = cp.get("/api/v1/status").path("storeRevision").asLong();
    StringBuilder six = new StringBuilder();
    for (int i = 1; i <= 6; i++) six.append(direct("many-" + i, "/many-" + i, "m")).append("---\n");
    six.append("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: doomed}
        spec: {address: 127.0.0.1:0}
        """);
    long created = revisionOf(cp.sluice("apply", "-f", file("many.yaml", six.toString()).toString()));

    ServerProcess.Result deleteRefused = cp.sluice("delete", "listener", "doomed");
    assertThat(deleteRefused.exitCode()).isEqualTo(1);
    assertThat(deleteRefused.stderrLines()).containsExactly("error: this delete deletes 1 object(s) (1 listener(s): their ports"
        + " stop answering): Listener/doomed; pass --yes to do it; nothing was changed");
    assertThat(cp.sluice("get", "listener", "doomed").exitCode()).isZero();
    ServerProcess.Result deleted = cp.sluice("delete", "listener", "doomed", "--yes");
    assertThat(deleted.exitCode()).as(deleted.stderr()).isZero();
    assertThat(deleted.stdoutLines()).containsExactly("Listener/doomed deleted (revision " + (created + 1) + ")");

    ServerProcess.Result refused = cp.sluice("rollback", "--to", Long.toString(before));
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.stderrLines()).containsExactly("error: rollback to revision " + before + " deletes 6 object(s): "
        + "Route/many-1, Route/many-2, Route/many-3, Route/many-4, Route/many-5, Route/many-6; pass --yes to do it"
        + " (--dry-run shows the changes first); nothing was changed");
    assertThat(cp.sluice("get", "route", "many-6").exitCode()).isZero();

    ServerProcess.Result yes = cp.sluice("rollback", "--to", Long.toString(before), "-y");
    assertThat(yes.exitCode()).as(yes.stderr()).isZero();
    assertThat(yes.stdoutLines()).contains("Route/many-1 deleted", "Route/many-6 deleted");
    assertThat(cp.sluice("get", "route", "many-6").exitCode()).isEqualTo(1);
  }

  @Test
  void anUnreachableServerIsOneLineNamingTheUrl() throws Exception {
    int closed = GatewayFixture.closedPort();

    ServerProcess.Result r = ServerProcess.run("get", "routes", "--server", "http://127.0.0.1:" + closed);

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).containsExactly("error: cannot reach the admin API at http://127.0.0.1:" + closed + ": connection refused");
  }

  @Test
  void usageErrorsExitWithTwo() throws Exception {
    ServerProcess.Result kind = cp.sluice("get", "gadgets");
    assertThat(kind.exitCode()).isEqualTo(2);
    assertThat(kind.stderrLines().getFirst()).contains("unknown kind 'gadgets'; expected one of: secret, plugin, upstream, function, consumer, pipeline, route, listener, globalfilter, webhook");

    ServerProcess.Result rollback = cp.sluice("rollback", "route", "--to", "1");
    assertThat(rollback.exitCode()).isEqualTo(2);
    assertThat(rollback.stderrLines()).containsExactly(
        "error: rollback takes KIND and NAME, or neither for the whole configuration; got only 'route'");

    ServerProcess.Result header = cp.sluice("route-test", "GET", "http://a/", "-H", "no-colon");
    assertThat(header.exitCode()).isEqualTo(2);
  }

  @Test
  void theBashCompletionScriptCompletesEverySubcommand() throws Exception {
    ServerProcess.Result r = ServerProcess.run("completion");

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).startsWith("#!/usr/bin/env bash").contains("complete -F _complete_sluice");
    for (String cmd : List.of("serve", "validate", "apply", "get", "describe", "delete", "diff", "history", "rollback",
        "status", "route-test", "completion")) {
      assertThat(r.stdout()).contains(cmd);
    }
    assertThat(Pattern.compile("local commands=\"[^\"]*\\bapply\\b[^\"]*\\broute-test\\b").matcher(r.stdout()).find())
        .as(r.stdout()).isTrue();
    assertThat(r.stdout()).contains("routes");
  }
}
