package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.sluice.server.webhook.Signature;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Webhooks of a real {@code sluice serve}, received by a real HTTP server on 127.0.0.1. */
class WebhookTest {
  private static final String KEY = "whsec-0123456789abcdef";
  private static final String ALICE = "alice-token-0123456789";
  private static final String BOB = "bob-token-0123456789";
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** One request the receiver got. */
  record Received(String path, String event, String delivery, String signature, String body) {
    JsonNode json() {
      try {
        return ControlPlane.JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  @TempDir Path dir;
  HttpServer receiver;
  final List<Received> received = new CopyOnWriteArrayList<>();
  /** Statuses to answer, in order; 200 once they run out. */
  final ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();
  final Map<String, Integer> alwaysByPath = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      received.add(new Received(path, exchange.getRequestHeaders().getFirst("X-Sluice-Event"),
          exchange.getRequestHeaders().getFirst("X-Sluice-Delivery"), exchange.getRequestHeaders().getFirst("X-Sluice-Signature"),
          new String(body, StandardCharsets.UTF_8)));
      Integer fixed = alwaysByPath.get(path);
      Integer next = fixed != null ? fixed : answers.poll();
      exchange.sendResponseHeaders(next == null ? 200 : next, -1);
      exchange.close();
    });
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
  }

  private Path webhook(String name, String path, String events, String more) {
    return ControlPlane.write(dir, name + ".yaml", """
        apiVersion: sluice.io/v1
        kind: Secret
        metadata:
          name: hook-key
        spec:
          value: %s
        ---
        apiVersion: sluice.io/v1
        kind: Webhook
        metadata:
          name: %s
        spec:
          url: %s
          secret: hook-key
          events: %s
          retryBackoff: 100ms
        %s""".formatted(KEY, name, url(path), events, more));
  }

  private static Path upstream(Path dir, String name, int port) {
    return ControlPlane.write(dir, name + "-up.yaml", """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata:
          name: %s
        spec:
          endpoints:
            - address: 127.0.0.1:%d
        """.formatted(name, port));
  }

  /** Adds Upstream/echo (revision 2) and rolls it back to revision 1 (revision 3): a rollback event. */
  private void rollBackAnUpstream(ControlPlane cp) throws Exception {
    assertThat(cp.sluice("apply", "-f", upstream(dir, "echo", 9001).toString()).exitCode()).isZero();
    ServerProcess.Result r = cp.sluice("rollback", "upstream", "echo", "--to", "1", "--yes");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
  }

  /** Verifies a delivery as docs/security.md tells a receiver to: HMAC over "t.body", timestamp within 5 minutes. */
  private static void assertSigned(Received r) {
    assertThat(r.signature()).matches("t=\\d+,v1=[0-9a-f]{64}");
    String t = r.signature().substring(2, r.signature().indexOf(','));
    String v1 = r.signature().substring(r.signature().indexOf("v1=") + 3);
    assertThat(v1).isEqualTo(Signature.hmac(KEY, t + "." + r.body()));
    assertThat(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(t))).isLessThan(300);
  }

  @Test
  void aFullChangeSendsSignedEventsInOrder() throws Exception {
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - {name: alice, role: editor, token: %s}
          - {name: bob, role: reviewer, token: %s}
        """.formatted(ALICE, BOB));
    try (ControlPlane cp = ControlPlane.start("--admin-tokens", tokens.toString())) {
      ServerProcess.Result setup = cp.sluiceWithToken(ALICE, "apply", "-f",
          webhook("audit", "/audit", "[change.*, revision.applied]", "").toString());
      assertThat(setup.exitCode()).as(setup.stderr()).isZero();
      await().atMost(WAIT).until(() -> received.size() == 1);
      assertThat(received.getFirst().event()).isEqualTo("revision.applied");

      assertThat(cp.sluiceWithToken(ALICE, "propose", "-f", upstream(dir, "echo", 9001).toString(), "--title", "add echo").exitCode()).isZero();
      assertThat(cp.sluiceWithToken(BOB, "approve", "1", "-m", "ok").exitCode()).isZero();
      assertThat(cp.sluiceWithToken(ALICE, "publish", "1").exitCode()).isZero();

      await().atMost(WAIT).until(() -> received.size() == 5);
      assertThat(received).extracting(Received::event).containsExactly("revision.applied", "change.proposed", "change.approved",
          "change.published", "revision.applied");
      received.forEach(WebhookTest::assertSigned);
      JsonNode published = received.get(3).json();
      assertThat(published.get("type").asText()).isEqualTo("change.published");
      assertThat(published.get("node").asText()).isEqualTo("test-node");
      assertThat(published.at("/data/id").asLong()).isEqualTo(1);
      assertThat(published.at("/data/title").asText()).isEqualTo("add echo");
      assertThat(published.at("/data/author").asText()).isEqualTo("alice");
      assertThat(published.at("/data/approvedBy/0").asText()).isEqualTo("bob");
      assertThat(published.at("/data/revision").asLong()).isEqualTo(2);
      assertThat(received.get(4).json().at("/data/revision").asLong()).isEqualTo(2);
      assertThat(received.get(2).json().at("/data/comment").asText()).isEqualTo("ok");
    }
  }

  @Test
  void aFailedDeliveryIsTriedAgainAndSlackGetsText() throws Exception {
    answers.add(500);
    try (ControlPlane cp = ControlPlane.start()) {
      ServerProcess.Result setup = cp.sluice("apply", "-f", webhook("chat", "/chat", "[rollback]", "  format: slack\n").toString());
      assertThat(setup.exitCode()).as(setup.stderr()).isZero();
      rollBackAnUpstream(cp);

      await().atMost(WAIT).until(() -> received.size() == 2);
      assertThat(received.get(0).delivery()).isEqualTo(received.get(1).delivery());
      assertThat(received.get(1).body()).isEqualTo(received.get(0).body());
      assertThat(received.get(0).json().properties()).extracting(Map.Entry::getKey).containsExactly("text");
      assertThat(received.get(0).json().get("text").asText()).isEqualTo("[sluice] rollback: revision=3 object=Upstream/echo by=local");
      assertSigned(received.get(1));
      await().atMost(WAIT).until(() -> cp.get("/api/v1/webhooks/deliveries").at("/items/0/state").asText().equals("delivered"));
      JsonNode d = cp.get("/api/v1/webhooks/deliveries").at("/items/0");
      assertThat(d.get("attempts").asInt()).isEqualTo(2);
      assertThat(d.get("event").asText()).isEqualTo("rollback");
      assertThat(cp.get("/api/v1/webhooks/deliveries?failed=true").get("items")).isEmpty();
    }
  }

  @Test
  void aDeliveryThatFailsEveryAttemptIsKeptAsADeadLetter() throws Exception {
    alwaysByPath.put("/down", 503);
    try (ControlPlane cp = ControlPlane.start()) {
      ServerProcess.Result setup = cp.sluice("apply", "-f", webhook("down", "/down", "[rollback]", "  retries: 2\n").toString());
      assertThat(setup.exitCode()).as(setup.stderr()).isZero();
      rollBackAnUpstream(cp);

      await().atMost(WAIT).until(() -> cp.get("/api/v1/webhooks/deliveries?failed=true").get("items").size() == 1);
      assertThat(received).hasSize(3);
      JsonNode dead = cp.get("/api/v1/webhooks/deliveries?failed=true").at("/items/0");
      assertThat(dead.get("webhook").asText()).isEqualTo("down");
      assertThat(dead.get("attempts").asInt()).isEqualTo(3);
      assertThat(dead.get("lastStatus").asInt()).isEqualTo(503);
      assertThat(dead.get("lastError").asText()).isEqualTo("answered 503");
      ServerProcess.Result listed = cp.sluice("get", "deliveries", "--failed");
      assertThat(listed.exitCode()).as(listed.stderr()).isZero();
      assertThat(listed.stdoutLines()).hasSize(2);
      assertThat(listed.stdoutLines().get(0)).matches("TIME +WEBHOOK +EVENT +STATE +ATTEMPTS +LAST");
      assertThat(listed.stdoutLines().get(1)).matches("\\S+ +down +rollback +failed +3 +answered 503");
    }
  }

  @Test
  void aDeadLetterSurvivesARestartAndRedeliveryToAReceiverThatNowAcceptsClearsIt() throws Exception {
    alwaysByPath.put("/down", 503);
    try (ControlPlane cp = ControlPlane.start()) {
      ServerProcess.Result setup = cp.sluice("apply", "-f", webhook("down", "/down", "[rollback]", "  retries: 1\n").toString());
      assertThat(setup.exitCode()).as(setup.stderr()).isZero();
      rollBackAnUpstream(cp);
      await().atMost(WAIT).until(() -> cp.get("/api/v1/webhooks/deliveries?failed=true").get("items").size() == 1);
      JsonNode dead = cp.get("/api/v1/webhooks/deliveries?failed=true").at("/items/0");
      String id = dead.get("id").asText();
      String payload = dead.get("payload").asText();
      assertThat(received).hasSize(2);

      cp.restart();
      JsonNode kept = cp.get("/api/v1/webhooks/deliveries?failed=true").get("items");
      assertThat(kept).hasSize(1);
      assertThat(kept.at("/0/id").asText()).isEqualTo(id);
      assertThat(kept.at("/0/webhook").asText()).isEqualTo("down");
      assertThat(kept.at("/0/event").asText()).isEqualTo("rollback");
      assertThat(kept.at("/0/state").asText()).isEqualTo("failed");
      assertThat(kept.at("/0/attempts").asInt()).isEqualTo(2);
      assertThat(kept.at("/0/lastStatus").asInt()).isEqualTo(503);
      assertThat(kept.at("/0/lastError").asText()).isEqualTo("answered 503");
      assertThat(kept.at("/0/time").asText()).isEqualTo(dead.get("time").asText());
      assertThat(kept.at("/0/payload").asText()).isEqualTo(payload);

      // The receiver accepts now: redelivered as it was, signed again, and no longer a dead letter.
      alwaysByPath.remove("/down");
      received.clear();
      HttpResponse<String> again = cp.send("POST", "/api/v1/webhooks/deliveries/redeliver", "{\"id\": \"" + id + "\"}", null);
      assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
      assertThat(ControlPlane.JSON.readTree(again.body()).get("state").asText()).isEqualTo("pending");
      // A redelivery is pending (no longer failed) at once; it is sent on the notifier's thread.
      await().atMost(WAIT).until(() -> cp.get("/api/v1/webhooks/deliveries").at("/items/0/state").asText().equals("delivered"));
      assertThat(cp.get("/api/v1/webhooks/deliveries?failed=true").get("items")).isEmpty();
      assertThat(received).hasSize(1);
      assertThat(received.get(0).delivery()).isEqualTo(id);
      assertThat(received.get(0).event()).isEqualTo("rollback");
      assertThat(received.get(0).body()).isEqualTo(payload);
      assertSigned(received.get(0));

      cp.restart();
      assertThat(cp.get("/api/v1/webhooks/deliveries?failed=true").get("items")).isEmpty();
      HttpResponse<String> gone = cp.send("POST", "/api/v1/webhooks/deliveries/redeliver", "{\"id\": \"" + id + "\"}", null);
      assertThat(gone.statusCode()).isEqualTo(404);
      assertThat(ControlPlane.JSON.readTree(gone.body()).get("message").asText())
          .isEqualTo("no dead letter '" + id + "' on this node: GET /api/v1/webhooks/deliveries?failed=true lists them");
    }
  }

  @Test
  void aNodesEventsReachTheReceiverSignedBreakerOpenThenCloseThenRevisionFailed() throws Exception {
    java.util.concurrent.atomic.AtomicInteger status = new java.util.concurrent.atomic.AtomicInteger(500);
    try (io.sluice.proxy.testing.TestUpstream backend = io.sluice.proxy.testing.TestUpstream.start("backend",
            (req, ex) -> ex.respond(status.get(), Map.of(), "backend"));
        java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        ControlPlane cp = ControlPlane.start()) {
      ServerProcess.Result hook = cp.sluice("apply", "-f",
          webhook("node", "/node", "[revision.failed, breaker.open, breaker.close]", "").toString());
      assertThat(hook.exitCode()).as(hook.stderr()).isZero();
      Path config = ControlPlane.write(dir, "gateway.yaml", """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec: {address: 127.0.0.1:0}
          ---
          apiVersion: sluice.io/v1
          kind: Upstream
          metadata: {name: backend}
          spec:
            endpoints: [{address: "%s"}]
            circuitBreaker:
              endpoint: {failureRateThreshold: 50, minimumCalls: 4, slidingWindow: {type: count, size: 4}, waitInOpen: 3s, halfOpenCalls: 1}
          ---
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: all}
          spec:
            match: {path: {prefix: /}}
            upstream: backend
          """.formatted(backend.address()));
      assertThat(cp.sluice("apply", "-f", config.toString()).exitCode()).isZero();
      int port = BoundListeners.awaitPort(() -> cp.get("/api/v1/status"), "main");
      java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
      java.util.concurrent.Callable<Integer> call = () -> client.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + port + "/x")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      for (int i = 0; i < 4; i++) assertThat(call.call()).isEqualTo(500);
      await().atMost(WAIT).until(() -> received.stream().anyMatch(r -> "breaker.open".equals(r.event())));

      // The endpoint recovers: after waitInOpen one good trial call closes the breaker.
      status.set(200);
      await().atMost(WAIT).until(() -> call.call() == 200);
      await().atMost(WAIT).until(() -> received.stream().anyMatch(r -> "breaker.close".equals(r.event())));

      // A listener on a port in use: stored, but the node cannot apply it.
      Path bad = ControlPlane.write(dir, "bad.yaml", """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: taken}
          spec: {address: 127.0.0.1:%d}
          """.formatted(taken.getLocalPort()));
      assertThat(cp.sluice("apply", "-f", bad.toString()).exitCode()).isZero();
      long failedRevision = cp.get("/api/v1/status").path("storeRevision").asLong();
      await().atMost(WAIT).until(() -> received.stream().anyMatch(r -> "revision.failed".equals(r.event())));

      assertThat(received).extracting(Received::event).containsExactly("breaker.open", "breaker.close", "revision.failed");
      String node = received.get(0).json().get("node").asText();
      assertThat(node).isNotEmpty();
      for (Received r : received) {
        assertThat(r.path()).isEqualTo("/node");
        assertSigned(r);
        JsonNode e = r.json();
        assertThat(e.properties()).extracting(Map.Entry::getKey).containsExactly("id", "type", "time", "node", "data");
        assertThat(e.get("type").asText()).isEqualTo(r.event());
        assertThat(e.get("node").asText()).isEqualTo(node);
      }
      assertThat(received.get(0).json().get("data").toString())
          .isEqualTo("{\"upstream\":\"backend\",\"endpoint\":\"" + backend.address() + "\",\"node\":\"" + node + "\"}");
      assertThat(received.get(1).json().get("data").toString())
          .isEqualTo("{\"upstream\":\"backend\",\"endpoint\":\"" + backend.address() + "\",\"node\":\"" + node + "\"}");
      JsonNode failed = received.get(2).json().get("data");
      assertThat(failed.get("revision").asLong()).isEqualTo(failedRevision);
      assertThat(failed.get("message").asText()).startsWith("Listener/taken: cannot bind /127.0.0.1:" + taken.getLocalPort() + ": ");
      assertThat(failed.get("node").asText()).isEqualTo(node);
    }
  }

  @Test
  void aWebhookWithoutItsSecretIsRefusedNamingTheField() throws Exception {
    Path bad = ControlPlane.write(dir, "bad.yaml", """
        apiVersion: sluice.io/v1
        kind: Webhook
        metadata:
          name: lost
        spec:
          url: ftp://example.com/x
          secret: missing
          events: [change.everything]
        """);
    try (ControlPlane cp = ControlPlane.start()) {
      ServerProcess.Result r = cp.sluice("apply", "-f", bad.toString());
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.stderr()).contains(
          "Webhook/lost: spec.url: expected an absolute http:// or https:// URL with a host, got 'ftp://example.com/x'",
          "Webhook/lost: spec.secret: ");
      assertThat(r.stderr()).contains("Webhook/lost: spec.events[0]: unknown event 'change.everything'");
    }
  }
}
