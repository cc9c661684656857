package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.server.FleetTest.Node;
import io.sluice.server.webhook.Signature;
import io.sluice.store.etcd.EtcdProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reviewed change published as a config canary (README "Review changes"), on one fleet of real
 * processes for the class: etcd, a control plane with change review on ({@code alice} editor,
 * {@code bob} reviewer) and the data-plane nodes n1 (zone=a) and n2 (zone=b), each with a listener
 * of its own; a webhook receiver on 127.0.0.1 hears the change's and the canary's events.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChangeCanaryTest {
  private static final String ALICE = "alice-token-0123456789";
  private static final String BOB = "bob-token-0123456789";
  private static final String KEY = "whsec-0123456789abcdef";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** One delivery the receiver got. */
  record Received(String event, String signature, String body) {
    JsonNode json() {
      try {
        return ControlPlane.JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  @TempDir
  static Path dir;

  private EtcdProcess etcd;
  private HttpServer receiver;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private Node cp;
  private int port1;
  private int port2;

  @BeforeAll
  void startFleet() throws Exception {
    EtcdProcess.assumeInstalled();
    etcd = EtcdProcess.start(dir.resolve("etcd"));
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      received.add(new Received(exchange.getRequestHeaders().getFirst("X-Sluice-Event"),
          exchange.getRequestHeaders().getFirst("X-Sluice-Signature"), new String(body, StandardCharsets.UTF_8)));
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    receiver.start();
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - {name: alice, role: editor, token: %s}
          - {name: bob, role: reviewer, token: %s}
        """.formatted(ALICE, BOB));
    String url = etcd.url("/sluice/change-canary");
    String[] wait = {"--store-connect-timeout", "30s"};
    cp = start(url, "cp", "control-plane", wait[0], wait[1], "--admin-tokens", tokens.toString(), "--change-review");
    Node n1 = start(url, "n1", "data-plane", wait[0], wait[1], "--node-label", "zone=a", "--node-label", "node=n1");
    Node n2 = start(url, "n2", "data-plane", wait[0], wait[1], "--node-label", "zone=b", "--node-label", "node=n2");
    await().atMost(WAIT).until(() -> json(send(BOB, "GET", "/api/v1/nodes", null)).path("items").size() == 3);

    // The fleet's first configuration goes through review too: listeners, the route, the webhook.
    long base = reviewedChange("set up", listener("n1"), listener("n2"), route("v1"), """
        {"apiVersion":"sluice.io/v1","kind":"Secret","metadata":{"name":"hook-key"},"spec":{"value":"%s"}}""".formatted(KEY), """
        {"apiVersion":"sluice.io/v1","kind":"Webhook","metadata":{"name":"audit"},
         "spec":{"url":"http://127.0.0.1:%d/audit","secret":"hook-key","events":["change.*","canary.*"],"retryBackoff":"100ms"}}"""
        .formatted(receiver.getAddress().getPort()));
    HttpResponse<String> published = send(ALICE, "POST", "/api/v1/changes/" + base + "/publish", "{}");
    assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
    port1 = BoundListeners.awaitPort(() -> n1.get("/api/v1/status"), "l-n1");
    port2 = BoundListeners.awaitPort(() -> n2.get("/api/v1/status"), "l-n2");
    await().atMost(WAIT).ignoreExceptions().until(() -> answers().equals(List.of("200 v1", "200 v1")));
  }

  private Node start(String url, String id, String role, String... more) throws Exception {
    Node n = Node.start(url, dir, id, role, more);
    nodes.add(n);
    return n;
  }

  @AfterAll
  void stopFleet() throws Exception {
    for (Node n : nodes.reversed()) n.close();
    if (receiver != null) receiver.stop(0);
    if (etcd != null) etcd.close();
  }

  @Test
  void publishingAsACanaryKeepsTheReviewRulesAndPromotingItPublishesTheChangeLinkedInHistory() throws Exception {
    long id = propose("route v2", route("v2"));
    ServerProcess.Result unapproved = cli(ALICE, "publish", String.valueOf(id), "--canary", "zone=a");
    assertThat(unapproved.exitCode()).isEqualTo(1);
    assertThat(unapproved.stderrLines()).containsExactly("error: 409 conflict (not_approved): change " + id
        + " has 0 of 1 approvals; it is published once approved");
    approve(id);

    // Another change published meanwhile leaves this one on an old base: refused until rebased and approved again.
    long other = reviewedChange("route other", """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"other"},
         "spec":{"match":{"path":{"prefix":"/other"}},"directResponse":{"status":200,"body":"other"}}}""");
    assertThat(send(ALICE, "POST", "/api/v1/changes/" + other + "/publish", "{}").statusCode()).isEqualTo(200);
    long live = json(send(BOB, "GET", "/api/v1/changes/" + id, null)).path("baseRevision").asLong() + 1;
    ServerProcess.Result stale = cli(ALICE, "publish", String.valueOf(id), "--canary", "zone=a");
    assertThat(stale.exitCode()).isEqualTo(1);
    assertThat(stale.stderrLines()).containsExactly("error: 409 conflict (stale_base): change " + id + " is based on revision "
        + (live - 1) + " but the configuration is at revision " + live + ": rebase it (sluice rebase " + id + ", POST"
        + " /api/v1/changes/" + id + "/rebase), which checks it again and asks for approvals again");
    assertThat(send(ALICE, "POST", "/api/v1/changes/" + id + "/rebase", "{}").statusCode()).isEqualTo(200);
    approve(id);

    String before = answers().get(1);
    ServerProcess.Result started = cli(ALICE, "publish", String.valueOf(id), "--canary", "zone=a", "--canary-window", "1m");
    assertThat(started.exitCode()).as(started.stderr()).isZero();
    JsonNode change = json(send(BOB, "GET", "/api/v1/changes/" + id, null));
    String canary = change.path("canary").asText();
    assertThat(canary).startsWith("c-");
    assertThat(started.stdoutLines()).containsExactly("change " + id + " runs as canary " + canary + " on n1 (zone=a), on top of"
        + " revision " + live + "; the other nodes keep serving it", "sluice canary status compares them; sluice canary promote"
        + " publishes the change everywhere, sluice canary abort drops it (the change is approved again)");
    assertThat(change.path("state").asText()).isEqualTo("canary");
    assertThat(change.path("publishedRevision").isNull()).isTrue();
    JsonNode running = json(send(BOB, "GET", "/api/v1/canary", null)).path("canary");
    assertThat(running.path("id").asText()).isEqualTo(canary);
    assertThat(running.path("change").asLong()).isEqualTo(id);
    assertThat(running.path("autoAbort").path("windowSeconds").asDouble()).isEqualTo(60.0);
    await().atMost(WAIT).ignoreExceptions().until(() -> answers().equals(List.of("200 v2", before)));

    // While it runs the change is neither published again nor reviewed nor rebased.
    String inCanary = "{\"error\":\"conflict\",\"message\":\"change " + id + " runs as config canary " + canary + "; promote it"
        + " (sluice canary promote) to publish the change or abort it (sluice canary abort) before you %s\",\"reason\":"
        + "\"change_in_canary\",\"details\":[]}";
    assertRefused(send(ALICE, "POST", "/api/v1/changes/" + id + "/publish?canary=zone%3Db", "{}"), inCanary.formatted("publish it again"));
    assertRefused(send(BOB, "POST", "/api/v1/changes/" + id + "/reject", "{\"comment\":\"no\"}"), inCanary.formatted("reject it"));
    // A rebase is a write, refused as every other write while a canary runs.
    HttpResponse<String> rebase = send(ALICE, "POST", "/api/v1/changes/" + id + "/rebase", "{}");
    assertThat(rebase.statusCode()).isEqualTo(409);
    assertThat(errorOf(rebase).path("reason").asText()).isEqualTo("canary_running");
    assertThat(cli(BOB, "changes", "--state", "canary").stdoutLines()).hasSize(2).last().asString()
        .matches(id + " +canary +route v2 +alice +1/1 +" + live);

    HttpResponse<String> promoted = send(ALICE, "POST", "/api/v1/canary/promote", "{\"id\":\"" + canary + "\"}");
    assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
    long revision = json(promoted).path("revision").asLong();
    assertThat(revision).isEqualTo(live + 1);
    await().atMost(WAIT).until(() -> json(send(BOB, "GET", "/api/v1/changes/" + id, null)).path("state").asText().equals("published"));
    change = json(send(BOB, "GET", "/api/v1/changes/" + id, null));
    assertThat(change.path("publishedRevision").asLong()).isEqualTo(revision);
    assertThat(change.path("publishedBy").asText()).isEqualTo("alice");
    JsonNode entry = json(send(BOB, "GET", "/api/v1/revisions?after=" + live, null)).at("/items/0");
    assertThat(entry.path("revision").asLong()).isEqualTo(revision);
    assertThat(entry.path("message").asText()).isEqualTo("canary " + canary + " promoted by alice: change " + id
        + ": route v2 (proposed by alice; approved by bob; published by alice)");
    assertThat(entry.path("change").toString()).isEqualTo("{\"id\":" + id + ",\"title\":\"route v2\",\"proposedBy\":\"alice\","
        + "\"approvedBy\":[\"bob\"],\"publishedBy\":\"alice\"}");
    await().atMost(WAIT).ignoreExceptions().until(() -> answers().equals(List.of("200 v2", "200 v2")));
    HttpResponse<String> twice = send(ALICE, "POST", "/api/v1/changes/" + id + "/publish?canary=zone%3Da", "{}");
    assertThat(twice.statusCode()).isEqualTo(409);
    assertThat(errorOf(twice).path("reason").asText()).isEqualTo("already_published");

    List<Received> events = await().atMost(WAIT).until(() -> eventsOf(id), e -> e.size() == 6);
    assertThat(events).extracting(Received::event).containsExactly("change.proposed", "change.approved", "change.approved",
        "canary.started", "canary.promoted", "change.published");
    events.forEach(ChangeCanaryTest::assertSigned);
    assertThat(events.get(3).json().at("/data/canary").asText()).isEqualTo(canary);
    assertThat(events.get(3).json().at("/data/nodes/0").asText()).isEqualTo("n1");
    assertThat(events.get(4).json().at("/data/revision").asLong()).isEqualTo(revision);
    assertThat(events.get(5).json().at("/data/revision").asLong()).isEqualTo(revision);
    assertThat(events.get(5).json().at("/data/canary").asText()).isEqualTo(canary);
  }

  @Test
  void abortingTheCanaryMakesTheChangeApprovedAgainWithTheReasonSoThatItCanBePublishedAgain() throws Exception {
    long id = reviewedChange("route v3", route("v3"));
    String before = answers().get(0);
    HttpResponse<String> started = send(ALICE, "POST", "/api/v1/changes/" + id + "/publish?canary=zone%3Db&canaryAutoAbort=false", "{}");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
    JsonNode change = json(started);
    assertThat(change.path("state").asText()).isEqualTo("canary");
    String canary = change.path("canaryStarted").path("id").asText();
    assertThat(change.path("canary").asText()).isEqualTo(canary);
    assertThat(change.path("canaryStarted").path("nodes").toString()).isEqualTo("[\"n2\"]");
    assertThat(change.path("canaryStarted").path("autoAbort").path("enabled").asBoolean()).isFalse();
    await().atMost(WAIT).ignoreExceptions().until(() -> answers().equals(List.of(before, "200 v3")));

    HttpResponse<String> aborted = send(ALICE, "POST", "/api/v1/canary/abort", "{\"id\":\"" + canary + "\",\"reason\":\"checkout"
        + " fails on v3\"}");
    assertThat(aborted.statusCode()).as(aborted.body()).isEqualTo(200);
    await().atMost(WAIT).until(() -> json(send(BOB, "GET", "/api/v1/changes/" + id, null)).path("state").asText().equals("approved"));
    change = json(send(BOB, "GET", "/api/v1/changes/" + id, null));
    assertThat(change.path("canaryAborted").asText()).isEqualTo("canary " + canary + " aborted by alice: checkout fails on v3");
    assertThat(change.path("publishedRevision").isNull()).isTrue();
    assertThat(cli(BOB, "change", String.valueOf(id)).stdoutLines())
        .contains("canary aborted: canary " + canary + " aborted by alice: checkout fails on v3");
    await().atMost(WAIT).ignoreExceptions().until(() -> answers().equals(List.of(before, before)));

    // Nothing was written: the same change is published again, here as one revision.
    ServerProcess.Result again = cli(ALICE, "publish", String.valueOf(id));
    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(again.stdoutLines()).singleElement().asString().startsWith("change " + id + " published as revision ");

    List<Received> events = await().atMost(WAIT).until(() -> eventsOf(id), e -> e.size() == 5);
    assertThat(events).extracting(Received::event).containsExactly("change.proposed", "change.approved", "canary.started",
        "canary.aborted", "change.published");
    events.forEach(ChangeCanaryTest::assertSigned);
    assertThat(events.get(3).json().at("/data/canary").asText()).isEqualTo(canary);
    assertThat(events.get(3).json().at("/data/message").asText()).isEqualTo("checkout fails on v3");
    assertThat(events.get(3).json().at("/data/by").asText()).isEqualTo("alice");
  }

  // ---- helpers

  private static void assertRefused(HttpResponse<String> r, String body) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
    assertThat(r.body()).isEqualTo(body);
  }

  /** The deliveries about change {@code id}: its own events and its canaries' ({@code data.change}). */
  private List<Received> eventsOf(long id) {
    return received.stream().filter(r -> {
      JsonNode data = r.json().path("data");
      return r.event().startsWith("change.") ? data.path("id").asLong() == id : data.path("change").asLong() == id;
    }).toList();
  }

  /** Verifies a delivery as docs/security.md tells a receiver to: HMAC over "t.body", timestamp within 5 minutes. */
  private static void assertSigned(Received r) {
    assertThat(r.signature()).matches("t=\\d+,v1=[0-9a-f]{64}");
    String t = r.signature().substring(2, r.signature().indexOf(','));
    String v1 = r.signature().substring(r.signature().indexOf("v1=") + 3);
    assertThat(v1).isEqualTo(Signature.hmac(KEY, t + "." + r.body()));
    assertThat(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(t))).isLessThan(300);
  }

  /** Alice proposes {@code objects}; returns the change's id. */
  private long propose(String title, String... objects) throws Exception {
    HttpResponse<String> r = send(ALICE, "POST", "/api/v1/changes", "{\"title\":\"" + title + "\",\"objects\":["
        + String.join(",", objects) + "]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).path("id").asLong();
  }

  private void approve(long id) throws Exception {
    HttpResponse<String> r = send(BOB, "POST", "/api/v1/changes/" + id + "/approve", "{}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** Alice proposes {@code objects} and Bob approves them; returns the change's id. */
  private long reviewedChange(String title, String... objects) throws Exception {
    long id = propose(title, objects);
    approve(id);
    return id;
  }

  private HttpResponse<String> send(String token, String method, String path, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cp.url() + path)).timeout(WAIT).header("Authorization", "Bearer " + token)
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) b.header("Content-Type", "application/json");
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode errorOf(HttpResponse<String> r) throws IOException {
    return ControlPlane.JSON.readTree(r.body());
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
    return ControlPlane.JSON.readTree(r.body());
  }

  /** {@code sluice args...} against the control plane with {@code token}. */
  private ServerProcess.Result cli(String token, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--server", cp.url(), "--token", token));
    return ServerProcess.run(all.toArray(String[]::new));
  }

  /** What n1's and n2's listeners answer to {@code GET /}. */
  private List<String> answers() throws IOException {
    return List.of(get(port1), get(port2));
  }

  private static String get(int port) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      RawConnection.Response r = c.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n").readResponse();
      return r.status() + (r.status() == 200 ? " " + r.body() : "");
    }
  }

  /** A listener on port 0 that only {@code node} binds ({@link BoundListeners} reads the port it got). */
  private static String listener(String node) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"l-%s"},
         "spec":{"address":"127.0.0.1:0","nodeSelector":{"node":"%s"}}}""".formatted(node, node);
  }

  private static String route(String body) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},
         "spec":{"match":{"path":{"prefix":"/"}},"directResponse":{"status":200,"body":"%s"}}}""".formatted(body);
  }
}
