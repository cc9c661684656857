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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The web console in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver},
 * driven by Selenium with the system chromedriver: no Selenium Manager, nothing downloaded) against a
 * real {@code sluice serve} with tokens, its admin API on port 0: sign in, edit a route until it
 * validates, see the diff, apply, find the change in history and in the traffic charts, roll back.
 * Skipped, with a message, where the browser or its driver is not installed.
 *
 * <p>Screenshots of the pages go to {@code target/console-screenshots}, or to the directory the
 * system property {@code sluice.console.screenshots} names ({@code docs/console} to refresh the
 * README's).
 */
class ConsoleBrowserTest {
  private static final String EDITOR = "console-editor-secret-0123456789";
  private static final Pattern ADMIN_URL = Pattern.compile("admin API on (http://127\\.0\\.0\\.1:\\d+)");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;
  private @Nullable TestUpstream backend;
  private @Nullable ServerProcess server;
  private @Nullable WebDriver browser;
  private String admin = "";
  private int dataPort;
  private Path screenshots = Path.of("target", "console-screenshots");

  @BeforeEach
  void start() throws Exception {
    assumeTrue(HeadlessChromium.installed(),
        "no headless Chromium: the console's browser tests need Debian's chromium and chromium-driver"
            + " (apt-get install chromium chromium-driver; bin/test installs them when run as root)");
    String shots = System.getProperty("sluice.console.screenshots");
    if (shots != null && !shots.isBlank()) screenshots = Path.of(shots);
    Files.createDirectories(screenshots);
    backend = TestUpstream.named("backend");
    Path tokens = ControlPlane.write(dir, "tokens.yaml", """
        tokens:
          - name: alice
            role: editor
            token: "%s"
        """.formatted(EDITOR));
    server = ServerProcess.start("serve", "--data-dir", dir.resolve("data").toString(), "--admin-address", "127.0.0.1:0",
        "--admin-tokens", tokens.toString(), "--event-loops", "1", "--node-id", "console-node");
    admin = awaitAdminUrl(server);
    applyAndWait(config(backend.address()));
    dataPort = BoundListeners.awaitPort(() -> get("/api/v1/status"), "main");
    browser = HeadlessChromium.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    if (browser != null) browser.quit();
    if (server != null) server.close();
    if (backend != null) backend.close();
  }

  @Test
  void operatorEditsARouteUntilItValidatesAppliesItSeesItInHistoryAndTrafficAndRollsBack() throws Exception {
    WebDriver b = browser();
    b.get(admin + "/console/");
    waitFor(b).until(ExpectedConditions.urlToBe(admin + "/console/login"));
    shot("login");
    b.findElement(By.id("token")).sendKeys("wrong-token");
    b.findElement(By.cssSelector("#login button")).click();
    assertThat(waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("login-error"))).getText()).isEqualTo("unknown token");
    b.findElement(By.id("token")).clear();
    b.findElement(By.id("token")).sendKeys(EDITOR);
    b.findElement(By.cssSelector("#login button")).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.id("who"), "alice (editor)"));
    assertThat(waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("store-revision"))).getText()).isEqualTo("1");
    shot("overview");

    // Browse the routes, open one.
    b.get(admin + "/console/#/kind/routes");
    waitFor(b).until(ExpectedConditions.textToBe(By.id("page-info"), "1–1 of 1"));
    shot("routes");
    b.findElement(By.cssSelector("#objects tr[data-name=api] a")).click();
    WebElement yaml = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("yaml")));
    waitFor(b).until(d -> yaml.getDomProperty("value").contains("prefix: /api"));
    String original = yaml.getDomProperty("value");

    // A prefix without its slash: refused, and the error is shown at the field's line.
    String broken = original.replace("prefix: /api", "prefix: v2");
    HeadlessChromium.setText(browser(), yaml, broken);
    b.findElement(By.id("check")).click();
    WebElement error = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#errors li")));
    int line = lineOf(broken, "prefix: v2");
    assertThat(error.getDomAttribute("data-field")).isEqualTo("spec.match.path.prefix");
    assertThat(error.getDomAttribute("data-line")).isEqualTo(String.valueOf(line));
    assertThat(error.getText()).startsWith("line " + line + " spec.match.path.prefix: ");
    assertThat(b.findElement(By.cssSelector("#gutter .error-line")).getDomAttribute("data-line")).isEqualTo(String.valueOf(line));
    assertThat(b.findElement(By.id("apply")).isEnabled()).isFalse();
    shot("edit-error");

    // Fixed: the diff against the live route, then apply.
    HeadlessChromium.setText(browser(), yaml, original.replace("prefix: /api", "prefix: /v2"));
    b.findElement(By.id("check")).click();
    WebElement diff = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("diff")));
    assertThat(diff.getText()).contains("Route api: updated").doesNotContain("Route api: unchanged");
    assertThat(b.findElement(By.cssSelector("#diff pre.diff")).getText()).contains("-      prefix: /api\n+      prefix: /v2");
    assertThat(b.findElements(By.cssSelector("#errors li"))).isEmpty();
    b.findElement(By.id("message")).sendKeys("move api to /v2");
    shot("diff");
    b.findElement(By.id("apply")).click();
    waitFor(b).until(ExpectedConditions.textToBePresentInElementLocated(By.id("result"), "Applied as revision 2."));
    awaitApplied(2);
    assertThat(route("api").path("spec").path("match").path("path").path("prefix").asText()).isEqualTo("/v2");

    // History: the new revision with its author and message, and its diff.
    b.get(admin + "/console/#/history");
    WebElement rev2 = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#revisions tr[data-revision='2']")));
    assertThat(rev2.findElement(By.className("author")).getText()).isEqualTo("alice");
    assertThat(rev2.findElement(By.className("message")).getText()).isEqualTo("move api to /v2");
    assertThat(rev2.findElement(By.className("what")).getText()).isEqualTo("Route/api");
    b.findElement(By.id("compare")).click();
    assertThat(waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("compare-diff"))).getText())
        .contains("Route api: updated").contains("-      prefix: /api\n+      prefix: /v2");
    shot("history");

    // Traffic: the chart's numbers move with requests sent through the data plane.
    b.get(admin + "/console/#/traffic");
    Select pick = new Select(waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("traffic-pick"))));
    waitFor(b).until(d -> pick.getOptions().stream().anyMatch(o -> o.getText().equals("route api")));
    pick.selectByVisibleText("route api");
    waitFor(b).until(ExpectedConditions.textToBe(By.id("chart-total"), "route api: 0 requests, 0 errors"));
    for (int i = 0; i < 7; i++) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dataPort + "/v2/items/" + i)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("backend");
    }
    waitFor(b).until(ExpectedConditions.textToBe(By.id("chart-total"), "route api: 7 requests, 0 errors"));
    waitFor(b).until(ExpectedConditions.textToBe(By.cssSelector("#traffic-routes tr[data-name=api] td.requests"), "7"));
    waitFor(b).until(d -> d.findElements(By.cssSelector("#charts svg text[data-code='200']")).size() == 1);
    shot("traffic");

    // Route tester: the request goes to route api, upstream backend.
    b.get(admin + "/console/#/tester");
    WebElement url = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("rt-url")));
    url.clear();
    url.sendKeys("http://127.0.0.1:" + dataPort + "/v2/items/1");
    b.findElement(By.id("rt-send")).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.id("rt-route"), "api"));
    assertThat(b.findElement(By.id("rt-upstream")).getText()).isEqualTo("backend");
    shot("tester");

    b.get(admin + "/console/#/fleet");
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#nodes tr[data-node='console-node']")));
    shot("fleet");

    // Roll back to revision 1: the dialog shows what it changes and waits for a confirmation.
    b.get(admin + "/console/#/history");
    waitFor(b).until(ExpectedConditions.elementToBeClickable(By.cssSelector(".rollback[data-revision='1']"))).click();
    WebElement dialog = waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    assertThat(b.findElement(By.id("confirm-title")).getText()).isEqualTo("Roll the whole configuration back to revision 1?");
    assertThat(b.findElement(By.id("confirm-body")).getText()).contains("-      prefix: /v2\n+      prefix: /api");
    shot("rollback-confirm");
    b.findElement(By.id("confirm-no")).click();
    waitFor(b).until(ExpectedConditions.invisibilityOf(dialog));
    assertThat(get("/api/v1/status").path("storeRevision").asLong()).isEqualTo(2);
    b.findElement(By.cssSelector(".rollback[data-revision='1']")).click();
    waitFor(b).until(ExpectedConditions.visibilityOf(dialog));
    b.findElement(By.id("confirm-yes")).click();
    waitFor(b).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#revisions tr[data-revision='3']")));
    awaitApplied(3);
    assertThat(route("api").path("spec").path("match").path("path").path("prefix").asText()).isEqualTo("/api");
    JsonNode rev3 = get("/api/v1/revisions?after=2").path("items").get(0);
    assertThat(rev3.path("author").asText()).isEqualTo("alice");
    assertThat(rev3.path("message").asText()).isEqualTo("console: rollback to 1");

    // Signing out ends the session: the console sends the browser back to the login page.
    b.findElement(By.id("logout")).click();
    waitFor(b).until(ExpectedConditions.urlToBe(admin + "/console/login"));
    b.get(admin + "/console/");
    waitFor(b).until(ExpectedConditions.urlToBe(admin + "/console/login"));
  }

  /**
   * With 10,000 routes, the overview, the first page of the routes and the history load fast: the
   * list is paginated on the server. Prints the Navigation Timing numbers (docs/benchmarks.md
   * records them); asserts nothing about time, which depends on the machine.
   */
  @Test
  void pagesStayFastWithTenThousandRoutes() throws Exception {
    StringBuilder yaml = new StringBuilder();
    // 9,999 and the route "api": 10,000.
    for (int i = 0; i < 9_999; i++) {
      yaml.append("""
          apiVersion: sluice.io/v1
          kind: Route
          metadata: {name: r%05d}
          spec:
            match:
              path: {prefix: /r%05d}
            upstream: backend
          ---
          """.formatted(i, i));
    }
    yaml.append(config(backend().address()));
    applyAndWait(yaml.toString());
    WebDriver b = browser();
    b.get(admin + "/console/login");
    b.findElement(By.id("token")).sendKeys(EDITOR);
    b.findElement(By.cssSelector("#login button")).click();
    waitFor(b).until(ExpectedConditions.textToBe(By.id("who"), "alice (editor)"));

    List<String> lines = new ArrayList<>();
    for (String[] page : List.of(new String[] {"overview", "#/"}, new String[] {"routes", "#/kind/routes"},
        new String[] {"routes, page 150", "#/kind/routes?offset=7450"}, new String[] {"history", "#/history"})) {
      for (int run = 0; run < 3; run++) {
        // A full load each time: a new document, the (cached) assets, the page's API calls.
        b.get("about:blank");
        b.get(admin + "/console/" + page[1]);
        waitFor(b).until(d -> !((JavascriptExecutor) d).executeScript("return performance.getEntriesByName('sluice:rendered')").toString().equals("[]"));
        @SuppressWarnings("unchecked")
        Map<String, Object> t = (Map<String, Object>) ((JavascriptExecutor) b).executeScript("""
            const n = performance.getEntriesByType('navigation')[0];
            const r = performance.getEntriesByName('sluice:rendered')[0];
            return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, rendered: r.startTime};""");
        lines.add("console page load, 10,000 routes, %s (run %d): DOMContentLoaded %.0f ms, load %.0f ms, rendered %.0f ms"
            .formatted(page[0], run + 1, number(t.get("dcl")), number(t.get("load")), number(t.get("rendered"))));
      }
    }
    lines.forEach(System.out::println);
    b.get(admin + "/console/#/kind/routes?offset=7450");
    waitFor(b).until(ExpectedConditions.textToBe(By.id("page-info"), "7451–7500 of 10000"));
    assertThat(b.findElements(By.cssSelector("#objects tbody tr"))).hasSize(50);
    assertThat(b.findElement(By.cssSelector("#objects tbody tr")).getDomAttribute("data-name")).isEqualTo("r07449");
  }

  private static double number(Object o) {
    return ((Number) o).doubleValue();
  }

  private WebDriver browser() {
    if (browser == null) throw new IllegalStateException("no browser");
    return browser;
  }

  private TestUpstream backend() {
    if (backend == null) throw new IllegalStateException("no backend");
    return backend;
  }

  /** Replaces a textarea's text as typing would: the value, then the input event the page listens to. */
  private void shot(String name) throws IOException {
    byte[] png = ((TakesScreenshot) browser()).getScreenshotAs(OutputType.BYTES);
    Files.write(screenshots.resolve(name + ".png"), png);
  }

  private static int lineOf(String text, String needle) {
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains(needle)) return i + 1;
    }
    throw new AssertionError("no line with '" + needle + "' in " + text);
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

  /** The listener on port 0 (the OS picks; applying it again keeps the bound port), the backend and a route. */
  private static String config(String backendAddress) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:0}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: %s}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: api}
        spec:
          match:
            path: {prefix: /api}
          upstream: backend
        """.formatted(backendAddress);
  }

  private void applyAndWait(String yaml) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin + "/api/v1/apply"))
        .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + EDITOR).header("Content-Type", "application/yaml")
        .POST(HttpRequest.BodyPublishers.ofString(yaml)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    awaitApplied(ControlPlane.JSON.readTree(r.body()).path("revision").asLong());
  }

  private void awaitApplied(long revision) {
    await().atMost(Duration.ofSeconds(60)).until(() -> get("/api/v1/status").path("appliedRevision").asLong() >= revision);
  }

  private JsonNode route(String name) throws Exception {
    return get("/api/v1/routes/" + name);
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + EDITOR).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": " + r.body());
    return ControlPlane.JSON.readTree(r.body());
  }
}
