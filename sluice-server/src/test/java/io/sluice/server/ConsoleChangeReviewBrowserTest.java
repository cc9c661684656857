package io.sluice.server;

import static io.sluice.server.HeadlessChromium.waitFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The console's change workflow in a real headless Chromium against a real {@code sluice serve
 * --change-review} (one server and one browser for the class: the mode is a server setting, so this
 * is the second server beside {@link ConsoleBrowserTest}'s): an editor edits a route until it
 * validates, sees the diff and proposes it; the proposer's approve button is disabled; a change
 * published meanwhile makes it stale until rebased; a second user, a reviewer, approves; the editor
 * publishes; history links the revision to the change request; traffic follows the new route; the
 * rollback is proposed, approved and published the same way. Skipped, with a message, where the
 * browser or its driver is not installed.
 *
 * <p>Screenshots go where {@link ConsoleBrowserTest}'s go ({@code sluice.console.screenshots}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleChangeReviewBrowserTest {
  private static final String ALICE = "console-alice-secret-0123456789";
  private static final String BOB = "console-bob-secret-0123456789";
  private static final Pattern ADMIN_URL = Pattern.compile("admin API on (http://127\\.0\\.0\\.1:\\d+)");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private Path dir = Path.of("");
  private @Nullable TestUpstream backend;
  private @Nullable ServerProcess server;
  private @Nullable WebDriver browser;
  private String admin = "";
  private int dataPort;
  private Path screenshots = Path.of("target", "console-screenshots");

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    assumeTrue(HeadlessChromium.installed(),
        "no headless Chromium: the console's browser tests need Debian's chromium and chromium-driver"
            + " (apt-get install chromium chromium-driver; bin/test installs them when run as root)");
    String shots = System.getProperty("sluice.console.screenshots");
    if (shots != null && !shots.isBlank()) screenshots = Path.of(shots);
    Files.createDirectories(screenshots);
    backend = TestUpstream.named("backend");
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - {name: alice, roles: [editor, reviewer], token: "%s"}
          - {name: bob, role: reviewer, token: "%s"}
        """.formatted(ALICE, BOB));
    server = ServerProcess.start("serve", "--data-dir", dir.resolve("data").toString(), "--admin-address", "127.0.0.1:0",
        "--admin-tokens", tokens.toString(), "--change-review", "--event-loops", "1", "--node-id", "review-node");
    admin = awaitAdminUrl(server);
    awaitApplied(publish("the gateway", LISTENER, upstream(backend.address()), route("api", "/api")));
    dataPort = BoundListeners.awaitPort(() -> get("/api/v1/status", ALICE), "main");
    browser = HeadlessChromium.start(dir);
  }

  @AfterAll
  void stop() throws Exception {
    if (browser != null) browser.quit();
    if (server != null) server.close();
    if (backend != null) backend.close();
  }

  @Test
  @Order(1)
  void editorProposesReviewerApprovesEditorPublishesAndTheRollbackGoesThroughReviewToo() throws Exception {
    WebDriver b = browser();
    signIn(ALICE, "alice (editor, reviewer)");

    // Edit route api: a prefix without its slash is refused at its line; fixed, the diff; propose.
    b.get(admin + "/console/#/object/routes/api");
    WebElement yaml = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("yaml")));
    waitFor(b).until(d -> yaml.getDomProperty("value").contains("prefix: /api"));
    String original = yaml.getDomProperty("value");
    assertThat(b.findElements(By.id("apply"))).isEmpty();
    String broken = original.replace("prefix: /api", "prefix: v2");
    HeadlessChromium.setText(browser(), yaml, broken);
    b.findElement(By.id("check")).click();
    WebElement error = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#errors li")));
    assertThat(error.getDomAttribute("data-field")).isEqualTo("spec.match.path.prefix");
    assertThat(error.getDomAttribute("data-line")).isEqualTo(String.valueOf(lineOf(broken, "prefix: v2")));
    assertThat(b.findElement(By.id("propose")).isEnabled()).isFalse();
    HeadlessChromium.setText(browser(), yaml, original.replace("prefix: /api", "prefix: /v2"));
    b.findElement(By.id("check")).click();
    WebElement diff = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("diff")));
    assertThat(b.findElement(By.cssSelector("#diff pre.diff")).getText()).contains("-      prefix: /api\n+      prefix: /v2");
    assertThat(diff.getText()).contains("Route api: updated");
    b.findElement(By.id("change-title")).sendKeys("move api to /v2");
    b.findElement(By.id("change-description")).sendKeys("the v2 clients call /v2");
    shot("propose");
    b.findElement(By.id("propose")).click();
    waitFor(b).until(ExpectedConditions.textToBePresentInElementLocated(By.id("result"), "Proposed as change 2."));
    assertThat(get("/api/v1/status", ALICE).path("storeRevision").asLong()).isEqualTo(1);

    // The list: open, by alice, no approvals yet, on revision 1. The proposer may not approve.
    b.get(admin + "/console/#/changes");
    WebElement row = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#changes tr[data-change='2']")));
    assertThat(row.findElement(By.className("title")).getText()).isEqualTo("move api to /v2");
    assertThat(row.findElement(By.className("state")).getText()).isEqualTo("open");
    assertThat(row.findElement(By.className("author")).getText()).isEqualTo("alice");
    assertThat(row.findElement(By.className("approvals")).getText()).isEqualTo("0/1");
    assertThat(row.findElement(By.className("base")).getText()).isEqualTo("1");
    assertThat(row.findElements(By.className("stale"))).isEmpty();
    row.findElement(By.cssSelector("a")).click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("change-diff")));
    assertThat(b.findElement(By.id("change-diff")).getText()).contains("-      prefix: /api\n+      prefix: /v2");
    assertThat(b.findElement(By.id("approve")).isEnabled()).isFalse();
    assertThat(b.findElement(By.id("approve-why")).getText()).isEqualTo("alice proposed this change: approvals come from other reviewers");
    assertThat(b.findElement(By.id("publish")).isEnabled()).isFalse();

    // Another change published meanwhile: this one is stale until rebased.
    awaitApplied(publish("add the health route", route("health", "/health")));
    b.navigate().refresh();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("stale")));
    shot("change-stale");
    b.findElement(By.id("rebase")).click();
    waitFor(b).until(ExpectedConditions.invisibilityOfElementLocated(By.id("stale")));
    assertThat(get("/api/v1/changes/2", ALICE).path("baseRevision").asLong()).isEqualTo(2);

    // Bob, a reviewer, approves; he may not publish (not an editor).
    signOut();
    signIn(BOB, "bob (reviewer)");
    b.get(admin + "/console/#/change/2");
    WebElement approve = waitFor(b).until(ExpectedConditions.elementToBeClickable(By.id("approve")));
    assertThat(b.findElements(By.id("publish"))).isEmpty();
    b.findElement(By.id("review-comment")).sendKeys("looks right");
    shot("change-review");
    approve.click();
    waitFor(b).until(ExpectedConditions.textToBe(By.id("change-approvals"), "1 of 1: bob"));
    assertThat(b.findElement(By.cssSelector("#change-state-value .state")).getText()).isEqualTo("approved");
    assertThat(b.findElement(By.cssSelector("#reviews tbody tr")).getText()).startsWith("bob approved looks right");

    // Alice publishes: one revision, the route moves.
    signOut();
    signIn(ALICE, "alice (editor, reviewer)");
    b.get(admin + "/console/#/change/2");
    waitFor(b).until(ExpectedConditions.elementToBeClickable(By.id("publish"))).click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    b.findElement(By.id("confirm-yes")).click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("change-published")));
    assertThat(b.findElement(By.id("change-published")).getText()).isEqualTo("revision 3 by alice");
    awaitApplied(3);
    assertThat(get("/api/v1/routes/api", ALICE).at("/spec/match/path/prefix").asText()).isEqualTo("/v2");
    b.get(admin + "/console/#/changes");
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#changes tr[data-change='2']")));
    shot("changes");

    // History: revision 3 is linked to change 2, with who proposed and who approved it.
    b.get(admin + "/console/#/history");
    WebElement rev3 = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#revisions tr[data-revision='3']")));
    assertThat(rev3.findElement(By.className("change")).getText()).isEqualTo("change 2: proposed by alice, approved by bob");
    assertThat(rev3.findElement(By.className("message")).getText())
        .isEqualTo("change 2: move api to /v2 (proposed by alice; approved by bob; published by alice)");
    shot("history-changes");

    // Traffic: requests to /v2 reach the backend through route api.
    b.get(admin + "/console/#/traffic");
    Select pick = new Select(waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("traffic-pick"))));
    waitFor(b).until(d -> pick.getOptions().stream().anyMatch(o -> o.getText().equals("route api")));
    pick.selectByVisibleText("route api");
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dataPort + "/v2/items/" + i)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("backend");
    }
    waitFor(b).until(ExpectedConditions.textToBe(By.id("chart-total"), "route api: 3 requests, 0 errors"));

    // Roll back to revision 2: proposed as a change request, which bob approves and alice publishes.
    b.get(admin + "/console/#/history");
    WebElement rollback = waitFor(b).until(ExpectedConditions.elementToBeClickable(By.cssSelector(".rollback[data-revision='2']")));
    assertThat(rollback.getText()).isEqualTo("Propose rollback to this");
    rollback.click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    assertThat(b.findElement(By.id("confirm-body")).getText()).contains("-      prefix: /v2\n+      prefix: /api");
    b.findElement(By.id("confirm-yes")).click();
    waitFor(b).until(ExpectedConditions.urlToBe(admin + "/console/#/change/4"));
    waitFor(b).until(ExpectedConditions.textToBe(By.tagName("h1"), "Change 4: Roll the configuration back to revision 2"));
    assertThat(b.findElement(By.id("change-diff")).getText()).contains("Route api: updated").contains("+      prefix: /api");
    signOut();
    signIn(BOB, "bob (reviewer)");
    b.get(admin + "/console/#/change/4");
    waitFor(b).until(ExpectedConditions.elementToBeClickable(By.id("approve"))).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.id("change-approvals"), "1 of 1: bob"));
    signOut();
    signIn(ALICE, "alice (editor, reviewer)");
    b.get(admin + "/console/#/change/4");
    waitFor(b).until(ExpectedConditions.elementToBeClickable(By.id("publish"))).click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    b.findElement(By.id("confirm-yes")).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.id("change-published"), "revision 4 by alice"));
    awaitApplied(4);
    assertThat(get("/api/v1/routes/api", ALICE).at("/spec/match/path/prefix").asText()).isEqualTo("/api");
    JsonNode rev4 = get("/api/v1/revisions?after=3", BOB).path("items").get(0);
    assertThat(rev4.at("/change/id").asLong()).isEqualTo(4);
    assertThat(rev4.at("/change/proposedBy").asText()).isEqualTo("alice");
    assertThat(rev4.at("/change/approvedBy/0").asText()).isEqualTo("bob");
  }

  /** Runs after the workflow (its revisions are numbered from there): an endpoint's breaker opens, the API and the traffic page say so. */
  @Test
  @Order(2)
  void anEndpointWhoseFailuresOpenItsBreakerShowsOpenInTheStatsAndOnTheTrafficPage() throws Exception {
    try (TestUpstream failing = TestUpstream.start("failing", (req, ex) -> ex.respond(500, java.util.Map.of(), "down"))) {
      awaitApplied(publish("the failing service", """
          apiVersion: sluice.io/v1
          kind: Upstream
          metadata: {name: failing}
          spec:
            endpoints: [{address: "%s"}]
            circuitBreaker:
              endpoint: {failureRateThreshold: 50, minimumCalls: 4, slidingWindow: {type: count, size: 4}, waitInOpen: 60s}
          """.formatted(failing.address()), """
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: failing}
          spec:
            match:
              path: {prefix: /failing}
            upstream: failing
          """));
      WebDriver b = browser();
      signIn(BOB, "bob (reviewer)");
      b.get(admin + "/console/#/traffic");
      String row = "#traffic-upstreams tr[data-name='failing " + failing.address() + "'] [data-breaker]";
      assertThat(waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(row))).getText()).isEqualTo("breaker closed");
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dataPort + "/failing/" + i)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).isEqualTo("down");
      }
      JsonNode upstream = ControlPlane.JSON.missingNode();
      for (JsonNode u : get("/api/v1/stats", BOB).path("upstreams")) {
        if (u.path("name").asText().equals("failing")) upstream = u;
      }
      assertThat(upstream.at("/endpoints/0/breaker").asText()).isEqualTo("open");
      assertThat(upstream.at("/endpoints/0/healthy").asBoolean()).isFalse();
      assertThat(upstream.path("breaker").isNull()).isTrue();
      waitFor(b).until(ExpectedConditions.textToBe(By.cssSelector(row), "breaker open"));
      shot("traffic-breaker");
    }
  }

  /** A webhook whose receiver refuses: its dead letter on the console's page; redelivered once the receiver accepts, it is gone. */
  @Test
  @Order(3)
  void aDeadLetterIsListedOnTheConsoleAndRedeliveredFromIt() throws Exception {
    java.util.concurrent.atomic.AtomicInteger status = new java.util.concurrent.atomic.AtomicInteger(503);
    java.util.List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      events.add(exchange.getRequestHeaders().getFirst("X-Sluice-Event"));
      exchange.sendResponseHeaders(status.get(), -1);
      exchange.close();
    });
    receiver.start();
    try {
      awaitApplied(publish("notify the team", """
          apiVersion: sluice.io/v1
          kind: Secret
          metadata: {name: hook-key}
          spec: {value: "whsec-0123456789abcdef"}
          """, """
          apiVersion: sluice.io/v1
          kind: Webhook
          metadata: {name: team}
          spec:
            url: http://127.0.0.1:%d/hook
            secret: hook-key
            events: [change.proposed]
            retries: 0
          """.formatted(receiver.getAddress().getPort())));
      // A proposal is an event: the receiver refuses it, and it is a dead letter.
      send("POST", "/api/v1/changes", "title: \"another route\"\nobjects:\n  -\n" + route("other", "/other").strip().lines()
          .map(l -> "    " + l).collect(Collectors.joining("\n")) + "\n", "application/yaml", ALICE, 201);
      await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/v1/webhooks/deliveries?failed=true", BOB).path("items").size() == 1);
      String id = get("/api/v1/webhooks/deliveries?failed=true", BOB).at("/items/0/id").asText();

      WebDriver b = browser();
      signIn(ALICE, "alice (editor, reviewer)");
      b.get(admin + "/console/#/deliveries");
      WebElement row = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#deliveries tr[data-id='" + id + "']")));
      assertThat(row.findElement(By.className("webhook")).getText()).isEqualTo("team");
      assertThat(row.findElement(By.className("event")).getText()).isEqualTo("change.proposed");
      assertThat(row.findElement(By.className("state")).getText()).isEqualTo("failed");
      assertThat(row.findElement(By.className("last")).getText()).isEqualTo("answered 503");
      shot("dead-letters");
      status.set(200);
      row.findElement(By.className("redeliver")).click();
      waitFor(b).until(ExpectedConditions.textToBe(By.id("deliveries-result"), "Sent change.proposed to team again."));
      waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("no-deliveries")));
      await().atMost(Duration.ofSeconds(30)).until(() -> events.size() == 2);
      assertThat(events).containsExactly("change.proposed", "change.proposed");
      await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/v1/webhooks/deliveries", BOB).at("/items/0/state").asText().equals("delivered"));
      assertThat(get("/api/v1/webhooks/deliveries?failed=true", BOB).path("items")).isEmpty();
    } finally {
      receiver.stop(0);
    }
  }

  // ---- the browser

  private void signIn(String token, String who) {
    WebDriver b = browser();
    b.get(admin + "/console/login");
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(token);
    b.findElement(By.cssSelector("#login button")).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.id("who"), who));
  }

  private void signOut() {
    WebDriver b = browser();
    waitFor(b).until(ExpectedConditions.elementToBeClickable(By.id("logout"))).click();
    waitFor(b).until(ExpectedConditions.urlToBe(admin + "/console/login"));
  }

  private WebDriver browser() {
    if (browser == null) throw new IllegalStateException("no browser");
    return browser;
  }

  private void shot(String name) throws IOException {
    HeadlessChromium.screenshot(browser(), screenshots.resolve(name + ".png"));
  }

  private static int lineOf(String text, String needle) {
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains(needle)) return i + 1;
    }
    throw new AssertionError("no line with '" + needle + "' in " + text);
  }

  // ---- the server, through its API

  private static final String LISTENER = """
      apiVersion: sluice.io/v1
      kind: Listener
      metadata: {name: main}
      spec: {address: 127.0.0.1:0}
      """;

  private static String upstream(String address) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: %s}]
        """.formatted(address);
  }

  private static String route(String name, String prefix) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
          match:
            path: {prefix: %s}
          upstream: backend
        """.formatted(name, prefix);
  }

  /** Proposes {@code objects} as alice, approves as bob, publishes as alice; the published revision. */
  private long publish(String title, String... objects) throws Exception {
    String body = "title: \"" + title + "\"\nobjects:\n" + List.of(objects).stream()
        .map(o -> "  -\n" + o.strip().lines().map(l -> "    " + l).collect(Collectors.joining("\n")))
        .collect(Collectors.joining("\n")) + "\n";
    long id = send("POST", "/api/v1/changes", body, "application/yaml", ALICE, 201).path("id").asLong();
    send("POST", "/api/v1/changes/" + id + "/approve", "{}", "application/json", BOB, 200);
    return send("POST", "/api/v1/changes/" + id + "/publish", "{}", "application/json", ALICE, 200).path("publishedRevision").asLong();
  }

  private static String awaitAdminUrl(ServerProcess p) {
    String[] url = new String[1];
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      if (!p.isAlive()) throw new AssertionError("sluice serve exited:\n" + p.stderr());
      Matcher m = ADMIN_URL.matcher(p.stderr());
      if (!m.find()) return false;
      url[0] = m.group(1);
      return true;
    });
    return url[0];
  }

  private void awaitApplied(long revision) {
    await().atMost(Duration.ofSeconds(60)).until(() -> get("/api/v1/status", ALICE).path("appliedRevision").asLong() >= revision);
  }

  private JsonNode get(String path, String token) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": " + r.body());
    return ControlPlane.JSON.readTree(r.body());
  }

  private JsonNode send(String method, String path, String body, String type, String token, int expected) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token).header("Content-Type", type)
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
    return ControlPlane.JSON.readTree(r.body());
  }
}
