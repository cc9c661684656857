package io.sluice.server;

import static io.sluice.server.HeadlessChromium.waitFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.store.etcd.EtcdProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console's fleet page on a real fleet: etcd (the store module's {@link EtcdProcess}), a control
 * plane and two data-plane nodes (zone=a and zone=b), in a real headless Chromium. The page lists
 * the nodes with their roles and revisions; a viewer sees a running config canary without Promote and Abort; an editor
 * promotes it from the page, and it ends. Skipped where etcd or the browser is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleFleetBrowserTest {
  private static final String EDITOR = "fleet-editor-secret-0123456789";
  private static final String VIEWER = "fleet-viewer-secret-0123456789";
  private static final String REVIEWER = "fleet-reviewer-secret-0123456789";
  private static final Pattern ADMIN_URL = Pattern.compile("admin API on (http://127\\.0\\.0\\.1:\\d+)");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private @Nullable EtcdProcess etcd;
  private @Nullable ServerProcess cp;
  private @Nullable ServerProcess n1;
  private @Nullable ServerProcess n2;
  private @Nullable WebDriver browser;
  private String admin = "";
  private Path dir = Path.of("");
  private Path screenshots = Path.of("target", "console-screenshots");

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    assumeTrue(HeadlessChromium.installed(),
        "no headless Chromium: the console's browser tests need Debian's chromium and chromium-driver");
    EtcdProcess.assumeInstalled();
    dir = tmp;
    String shots = System.getProperty("sluice.console.screenshots");
    if (shots != null && !shots.isBlank()) screenshots = Path.of(shots);
    Files.createDirectories(screenshots);
    etcd = EtcdProcess.start(dir.resolve("etcd"));
    String url = etcd.url("/sluice/console-fleet");
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - {name: erin, role: editor, token: "%s"}
          - {name: vic, role: viewer, token: "%s"}
          - {name: rita, role: reviewer, token: "%s"}
        """.formatted(EDITOR, VIEWER, REVIEWER));
    cp = ServerProcess.start("serve", "--store", url, "--data-dir", dir.resolve("cp").toString(), "--admin-address", "127.0.0.1:0",
        "--admin-tokens", tokens.toString(), "--event-loops", "1", "--node-id", "cp", "--role", "control-plane",
        "--store-connect-timeout", "30s");
    admin = awaitAdminUrl(cp);
    n1 = ServerProcess.start("serve", "--store", url, "--data-dir", dir.resolve("n1").toString(), "--admin-address", "127.0.0.1:0",
        "--event-loops", "1", "--node-id", "n1", "--role", "data-plane", "--node-label", "zone=a", "--store-connect-timeout", "30s");
    awaitAdminUrl(n1);
    // A canary must leave some node out: n2 (zone=b) keeps the live revision.
    n2 = ServerProcess.start("serve", "--store", url, "--data-dir", dir.resolve("n2").toString(), "--admin-address", "127.0.0.1:0",
        "--event-loops", "1", "--node-id", "n2", "--role", "data-plane", "--node-label", "zone=b", "--store-connect-timeout", "30s");
    awaitAdminUrl(n2);
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/v1/nodes").path("items").size() == 3);
    send("/api/v1/apply", """
        [{"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},
          "spec":{"match":{"path":{"prefix":"/"}},"directResponse":{"status":200,"body":"v1"}}}]""");
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/v1/nodes").path("converged").asBoolean());
    browser = HeadlessChromium.start(dir);
  }

  @AfterAll
  void stop() throws Exception {
    if (browser != null) browser.quit();
    if (n2 != null) n2.close();
    if (n1 != null) n1.close();
    if (cp != null) cp.close();
    if (etcd != null) etcd.close();
  }

  @Test
  void theFleetPageListsTheNodesAndTheirRevisionsHidesPromoteFromViewersAndAnEditorPromotesTheCanaryFromIt() throws Exception {
    WebDriver b = browser();
    long revision = get("/api/v1/status").path("storeRevision").asLong();

    // A viewer sees the nodes and the canary, without the buttons.
    signIn(VIEWER, "vic (viewer)");
    b.get(admin + "/console/#/fleet");
    WebElement cpRow = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#nodes tr[data-node='cp']")));
    WebElement n1Row = b.findElement(By.cssSelector("#nodes tr[data-node='n1']"));
    assertThat(cpRow.findElements(By.tagName("td")).get(1).getText()).isEqualTo("control-plane");
    assertThat(n1Row.findElements(By.tagName("td")).get(1).getText()).isEqualTo("data-plane");
    assertThat(cpRow.findElements(By.tagName("td")).get(4).getText()).isEqualTo(String.valueOf(revision));
    assertThat(n1Row.findElements(By.tagName("td")).get(4).getText()).isEqualTo(String.valueOf(revision));
    WebElement n2Row = b.findElement(By.cssSelector("#nodes tr[data-node='n2']"));
    assertThat(n2Row.findElements(By.tagName("td")).get(4).getText()).isEqualTo(String.valueOf(revision));
    assertThat(b.findElement(By.id("convergence")).getText()).isEqualTo("Converged on revision " + revision + ".");
    waitFor(b).until(ExpectedConditions.textToBe(By.cssSelector("#canary > p.muted"), "No canary is running."));

    JsonNode started = send("/api/v1/apply?canary=zone%3Da", """
        [{"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},
          "spec":{"match":{"path":{"prefix":"/"}},"directResponse":{"status":200,"body":"v2"}}}]""");
    String id = started.path("id").asText();
    assertThat(id).isNotEmpty();
    b.navigate().refresh();
    assertThat(waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#canary dl"))).getText()).contains(id + " on zone=a");
    assertThat(b.findElements(By.id("promote"))).isEmpty();
    assertThat(b.findElements(By.id("abort"))).isEmpty();

    // An editor promotes it from the page: the canary ends, its objects are the next revision.
    b.findElement(By.id("logout")).click();
    waitFor(b).until(ExpectedConditions.urlToBe(admin + "/console/login"));
    signIn(EDITOR, "erin (editor)");
    b.get(admin + "/console/#/fleet");
    waitFor(b).until(ExpectedConditions.elementToBeClickable(By.id("promote")));
    shot("fleet-canary");
    b.findElement(By.id("promote")).click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    b.findElement(By.id("confirm-yes")).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.cssSelector("#canary > p.muted"), "No canary is running."));
    assertThat(b.findElement(By.cssSelector("#canary-history tbody tr")).getText()).startsWith(id + " promoted erin");
    JsonNode status = get("/api/v1/canary");
    assertThat(status.path("canary").isNull()).isTrue();
    assertThat(status.at("/history/0/state").asText()).isEqualTo("promoted");
    assertThat(get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(revision + 1);
  }

  @Test
  void anApprovedChangeIsPublishedAsACanaryFromItsPageLinkedFromTheFleetPageAndPromotingItThereMarksItPublished() throws Exception {
    WebDriver b = browser();
    JsonNode proposed = post(EDITOR, "/api/v1/changes", """
        {"title":"greet v3","objects":[{"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},
          "spec":{"match":{"path":{"prefix":"/"}},"directResponse":{"status":200,"body":"v3"}}}]}""", 201);
    long change = proposed.path("id").asLong();
    post(REVIEWER, "/api/v1/changes/" + change + "/approve", "{}", 200);

    // Whatever session the other test left: this one is erin's.
    b.manage().deleteAllCookies();
    signIn(EDITOR, "erin (editor)");
    b.get(admin + "/console/#/change/" + change);
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("canary-selector"))).sendKeys("zone=a");
    b.findElement(By.id("publish-canary")).click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    b.findElement(By.id("confirm-yes")).click();
    String canary = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#change-canary a"))).getText();
    assertThat(canary).startsWith("c-");
    assertThat(b.findElement(By.id("change-state-value")).getText()).isEqualTo("canary");
    assertThat(b.findElements(By.id("publish"))).isEmpty();

    // The fleet page's canary links to the change; promoting it there publishes the change.
    b.findElement(By.cssSelector("#change-canary a")).click();
    WebElement link = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#canary-change a")));
    assertThat(link.getText()).isEqualTo("change " + change);
    assertThat(link.getAttribute("href")).endsWith("#/change/" + change);
    b.findElement(By.id("promote")).click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    b.findElement(By.id("confirm-yes")).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.cssSelector("#canary > p.muted"), "No canary is running."));
    long revision = get("/api/v1/status").path("storeRevision").asLong();
    b.get(admin + "/console/#/change/" + change);
    waitFor(b).until(ExpectedConditions.textToBe(By.id("change-state-value"), "published"));
    assertThat(b.findElement(By.id("change-published")).getText()).isEqualTo("revision " + revision + " by erin");
  }

  private JsonNode post(String token, String path, String json, int status) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin + path)).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("POST " + path + ": " + r.body()).isEqualTo(status);
    return ControlPlane.JSON.readTree(r.body());
  }

  private void signIn(String token, String who) {
    WebDriver b = browser();
    b.get(admin + "/console/login");
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(token);
    b.findElement(By.cssSelector("#login button")).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.id("who"), who));
  }

  private WebDriver browser() {
    if (browser == null) throw new IllegalStateException("no browser");
    return browser;
  }

  private void shot(String name) throws IOException {
    HeadlessChromium.screenshot(browser(), screenshots.resolve(name + ".png"));
  }

  private static String awaitAdminUrl(ServerProcess p) {
    String[] url = new String[1];
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      if (!p.isAlive()) throw new AssertionError("sluice serve exited:\n" + p.stderr());
      Matcher m = ADMIN_URL.matcher(p.stderr());
      if (!m.find()) return false;
      url[0] = m.group(1);
      return true;
    });
    return url[0];
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + EDITOR).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": " + r.body());
    return ControlPlane.JSON.readTree(r.body());
  }

  private JsonNode send(String path, String json) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin + path)).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + EDITOR).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("POST " + path + ": " + r.body()).isEqualTo(200);
    return ControlPlane.JSON.readTree(r.body());
  }
}
