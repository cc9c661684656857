package io.sluice.admin;

import static io.sluice.admin.AdminFixture.route;
import static io.sluice.admin.AdminFixture.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console's login: a token exchanged for a session cookie, the CSRF token that cookie-authenticated
 * writes need, the browser rules on the console's paths, logout and expiry, and what is served without a
 * session. A real admin server and the JDK's HTTP client (raw sockets where it cannot send the header).
 */
class ConsoleSessionTest {
  static final String EDITOR_SECRET = "console-editor-secret-0123456789";
  static final String VIEWER_SECRET = "console-viewer-secret-0123456789";
  static final List<AdminToken> TOKENS = List.of(AdminToken.ofSecret("alice", AdminToken.Role.EDITOR, EDITOR_SECRET),
      AdminToken.ofSecret("victor", AdminToken.Role.VIEWER, VIEWER_SECRET));
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  static final Pattern COOKIE = Pattern.compile("sluice_session=([A-Za-z0-9_-]{43}); Path=/; HttpOnly; SameSite=Strict");

  @TempDir Path dir;
  AdminFixture admin;

  @AfterEach
  void stop() {
    if (admin != null) admin.close();
  }

  String origin() {
    return "http://127.0.0.1:" + admin.base.getPort();
  }

  /** A session as the login form makes it: the cookie's value and the CSRF token. */
  record Login(String id, String csrf) {
    String cookie() {
      return "sluice_session=" + id;
    }
  }

  Login login(String secret) {
    AdminFixture.Res r = admin.post("/console/session", "{\"token\":\"" + secret + "\"}", "Origin", origin());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    Matcher m = COOKIE.matcher(r.header("Set-Cookie"));
    assertThat(m.matches()).as(r.header("Set-Cookie")).isTrue();
    return new Login(m.group(1), r.json().get("csrf").asText());
  }

  @Test
  void loginSetsAnHttpOnlyStrictSessionCookieHoldingARandomIdNotTheToken() {
    admin = new AdminFixture(dir, TOKENS);
    AdminFixture.Res r = admin.post("/console/session", "{\"token\":\"" + EDITOR_SECRET + "\"}", "Origin", origin());

    assertThat(r.status()).isEqualTo(200);
    List<String> cookies = r.headers().allValues("Set-Cookie");
    assertThat(cookies).hasSize(1);
    Matcher m = COOKIE.matcher(cookies.getFirst());
    assertThat(m.matches()).as(cookies.getFirst()).isTrue();
    assertThat(m.group(1)).doesNotContain(EDITOR_SECRET);
    JsonNode body = r.json();
    assertThat(body.get("name").asText()).isEqualTo("alice");
    assertThat(body.get("roles").toString()).isEqualTo("[\"editor\"]");
    assertThat(body.get("write").asBoolean()).isTrue();
    assertThat(body.get("login").asBoolean()).isTrue();
    assertThat(body.get("csrf").asText()).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(m.group(1));
    assertThat(r.header("Content-Security-Policy")).isEqualTo(CSP);
    assertThat(r.header("X-Frame-Options")).isEqualTo("DENY");
    assertThat(r.header("Referrer-Policy")).isEqualTo("no-referrer");
    // Two logins are two sessions.
    assertThat(login(EDITOR_SECRET).id()).isNotEqualTo(m.group(1));
  }

  @Test
  void refusesAWrongTokenWithoutACookie() {
    admin = new AdminFixture(dir, TOKENS);
    AdminFixture.Res r = admin.post("/console/session", "{\"token\":\"not-a-token\"}", "Origin", origin());

    assertThat(r.status()).isEqualTo(401);
    assertThat(r.headers().allValues("Set-Cookie")).isEmpty();
    assertThat(r.json().get("message").asText()).isEqualTo("unknown token");
  }

  @Test
  void refusesALoginPostedAsAForm() {
    admin = new AdminFixture(dir, TOKENS);
    AdminFixture.Res r = admin.post("/console/session", "token=" + EDITOR_SECRET, "Origin", origin(),
        "Content-Type", "application/x-www-form-urlencoded");

    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().get("reason").asText()).isEqualTo("content_type");
    assertThat(r.headers().allValues("Set-Cookie")).isEmpty();
  }

  @Test
  void theSessionCookieOpensTheConsoleAndReadsTheApi() {
    admin = new AdminFixture(dir, TOKENS);
    Login s = login(VIEWER_SECRET);

    AdminFixture.Res page = admin.get("/console/", "Cookie", s.cookie());
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
    assertThat(page.header("Content-Security-Policy")).isEqualTo(CSP);
    assertThat(page.header("X-Frame-Options")).isEqualTo("DENY");
    assertThat(page.header("Cache-Control")).isEqualTo("no-store");
    assertThat(page.body()).contains("<script type=\"module\" src=\"/console/assets/").doesNotContain("<script>");

    AdminFixture.Res status = admin.get("/api/v1/status", "Cookie", s.cookie());
    assertThat(status.status()).isEqualTo(200);
    assertThat(status.json().get("nodeId").asText()).isEqualTo("node-1");
    AdminFixture.Res who = admin.get("/console/session", "Cookie", s.cookie());
    assertThat(who.json().get("name").asText()).isEqualTo("victor");
    assertThat(who.json().get("roles").toString()).isEqualTo("[\"viewer\"]");
    assertThat(who.json().get("write").asBoolean()).isFalse();
    assertThat(who.json().get("csrf").asText()).isEqualTo(s.csrf());
  }

  @Test
  void withoutASessionOnlyTheLoginPageAndItsAssetsAreServed() {
    admin = new AdminFixture(dir, TOKENS);

    AdminFixture.Res page = admin.get("/console/");
    assertThat(page.status()).isEqualTo(303);
    assertThat(page.header("Location")).isEqualTo("/console/login");
    AdminFixture.Res login = admin.get("/console/login");
    assertThat(login.status()).isEqualTo(200);
    Matcher m = Pattern.compile("src=\"(/console/assets/[0-9a-f]{12}/)login.js\"").matcher(login.body());
    assertThat(m.find()).as(login.body()).isTrue();
    String assets = m.group(1);
    AdminFixture.Res js = admin.get(assets + "login.js");
    assertThat(js.status()).isEqualTo(200);
    assertThat(js.header("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
    assertThat(js.header("Cache-Control")).isEqualTo("private, max-age=31536000, immutable");
    assertThat(admin.get(assets + "console.css").status()).isEqualTo(200);

    assertThat(admin.get(assets + "app.js").status()).isEqualTo(401);
    assertThat(admin.get("/console/data/routes").status()).isEqualTo(401);
    assertThat(admin.get("/console/session").status()).isEqualTo(401);
    assertThat(admin.get("/api/v1/status").status()).isEqualTo(401);
    assertThat(admin.get("/api/v1/status", "Cookie", "sluice_session=forged-session-id").status()).isEqualTo(401);
    assertThat(admin.get("/console/assets/000000000000/login.js").status()).isEqualTo(404);
  }

  @Test
  void refusesACookieAuthenticatedWriteWithoutTheCsrfHeader() {
    admin = new AdminFixture(dir, TOKENS);
    Login s = login(EDITOR_SECRET);
    String yaml = AdminFixture.docs(upstream("web", "127.0.0.1:9000"), route("web", "/", "web"));

    AdminFixture.Res refused = admin.post("/api/v1/apply", yaml, "Content-Type", "application/yaml", "Origin", origin(),
        "Cookie", s.cookie());
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().get("reason").asText()).isEqualTo("csrf");
    assertThat(refused.json().get("message").asText()).startsWith("the request has no X-Sluice-Csrf header");
    AdminFixture.Res wrong = admin.post("/api/v1/apply", yaml, "Content-Type", "application/yaml", "Origin", origin(),
        "Cookie", s.cookie(), "X-Sluice-Csrf", login(EDITOR_SECRET).csrf());
    assertThat(wrong.status()).isEqualTo(403);
    assertThat(wrong.json().get("reason").asText()).isEqualTo("csrf");
    assertThat(admin.store.revision()).isZero();

    AdminFixture.Res applied = admin.post("/api/v1/apply", yaml, "Content-Type", "application/yaml", "Origin", origin(),
        "Cookie", s.cookie(), "X-Sluice-Csrf", s.csrf());
    assertThat(applied.status()).as(applied.body()).isEqualTo(200);
    assertThat(admin.store.revision()).isEqualTo(1);
    assertThat(admin.get("/api/v1/revisions", "Cookie", s.cookie()).json().get("items").get(0).get("author").asText())
        .isEqualTo("alice");
  }

  @Test
  void refusesACrossOriginCookieWriteEvenWithTheCsrfHeader() {
    admin = new AdminFixture(dir, TOKENS);
    Login s = login(EDITOR_SECRET);

    AdminFixture.Res r = admin.post("/api/v1/apply", upstream("evil", "127.0.0.1:6666"), "Content-Type", "application/yaml",
        "Origin", "http://evil.example", "Cookie", s.cookie(), "X-Sluice-Csrf", s.csrf());

    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().get("reason").asText()).isEqualTo("origin");
    assertThat(admin.store.revision()).isZero();
  }

  @Test
  void servesTheLoginPageToItsOwnHostAndRefusesAForeignHostOnLoopback() {
    admin = new AdminFixture(dir, TOKENS);
    String own = raw("GET /console/login HTTP/1.1\r\nHost: 127.0.0.1:" + admin.base.getPort() + "\r\nConnection: close\r\n\r\n");
    assertThat(own).startsWith("HTTP/1.1 200 ").contains("<form id=\"login\">");
    String answer = raw("GET /console/login HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 403 ");
    assertThat(answer).contains("\"reason\":\"host\"").contains("Host 'evil.example' is not a name of this admin API");
    String rebound = raw("POST /console/session HTTP/1.1\r\nHost: rebind.attacker.example:" + admin.base.getPort()
        + "\r\nContent-Type: application/json\r\nContent-Length: " + (12 + EDITOR_SECRET.length())
        + "\r\nConnection: close\r\n\r\n{\"token\":\"" + EDITOR_SECRET + "\"}");
    assertThat(rebound).startsWith("HTTP/1.1 403 ").contains("\"reason\":\"host\"").doesNotContain("Set-Cookie");
  }

  @Test
  void logoutEndsTheSessionAndClearsTheCookie() {
    admin = new AdminFixture(dir, TOKENS);
    Login s = login(EDITOR_SECRET);

    AdminFixture.Res noCsrf = admin.delete("/console/session", "Origin", origin(), "Cookie", s.cookie());
    assertThat(noCsrf.status()).isEqualTo(403);
    assertThat(admin.get("/api/v1/status", "Cookie", s.cookie()).status()).isEqualTo(200);

    AdminFixture.Res out = admin.delete("/console/session", "Origin", origin(), "Cookie", s.cookie(), "X-Sluice-Csrf", s.csrf());
    assertThat(out.status()).isEqualTo(200);
    assertThat(out.header("Set-Cookie")).isEqualTo("sluice_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    assertThat(admin.get("/api/v1/status", "Cookie", s.cookie()).status()).isEqualTo(401);
    assertThat(admin.get("/console/", "Cookie", s.cookie()).status()).isEqualTo(303);
  }

  @Test
  void sessionsExpireAfterThirtyIdleMinutesAndTwelveHours() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    admin = new AdminFixture(dir, TOKENS, b -> b.clock(clock));
    Login idle = login(EDITOR_SECRET);
    Login busy = login(EDITOR_SECRET);

    for (int i = 0; i < 24; i++) {
      clock.advance(Duration.ofMinutes(29));
      assertThat(admin.get("/api/v1/status", "Cookie", busy.cookie()).status()).as("after %d min", (i + 1) * 29).isEqualTo(200);
    }
    assertThat(admin.get("/api/v1/status", "Cookie", idle.cookie()).status()).isEqualTo(401);
    clock.advance(Duration.ofMinutes(29));
    // 12 h 5 min after the login, used every 29 minutes: over its lifetime.
    assertThat(admin.get("/api/v1/status", "Cookie", busy.cookie()).status()).isEqualTo(401);
  }

  @Test
  void withoutTokensTheConsoleNeedsNoLogin() {
    admin = new AdminFixture(dir);

    assertThat(admin.get("/console/").status()).isEqualTo(200);
    AdminFixture.Res login = admin.get("/console/login");
    assertThat(login.status()).isEqualTo(303);
    assertThat(login.header("Location")).isEqualTo("/console/");
    AdminFixture.Res who = admin.get("/console/session");
    assertThat(who.json().get("name").asText()).isEqualTo("local");
    assertThat(who.json().get("login").asBoolean()).isFalse();
    assertThat(admin.post("/console/session", "{\"token\":\"x\"}", "Origin", origin()).status()).isEqualTo(404);
  }

  @Test
  void pagesThroughAKindsObjectsByNameAndCountsEachKind() {
    admin = new AdminFixture(dir);
    StringBuilder yaml = new StringBuilder(upstream("web", "127.0.0.1:9000"));
    for (int i = 0; i < 120; i++) yaml.append("---\n").append(route("r%03d".formatted(i), "/r%03d".formatted(i), "web"));
    admin.apply(yaml.toString());

    JsonNode page = admin.get("/console/data/routes?offset=100&limit=50").json();
    assertThat(page.get("total").asInt()).isEqualTo(120);
    assertThat(page.get("offset").asInt()).isEqualTo(100);
    assertThat(page.get("items")).hasSize(20);
    assertThat(page.get("items").get(0).get("metadata").get("name").asText()).isEqualTo("r100");
    JsonNode found = admin.get("/console/data/routes?q=R11").json();
    assertThat(found.get("total").asInt()).isEqualTo(10);
    assertThat(admin.get("/console/data/routes?limit=501").status()).isEqualTo(400);
    JsonNode counts = admin.get("/console/data/counts").json();
    assertThat(counts.get("counts").get("routes").asInt()).isEqualTo(120);
    assertThat(counts.get("counts").get("upstreams").asInt()).isEqualTo(1);
    assertThat(counts.get("counts").get("listeners").asInt()).isZero();
    assertThat(admin.get("/console/data/gadgets").status()).isEqualTo(404);
  }

  @Test
  void diffsTheWholeConfigurationBetweenTwoRevisionsAndListsTheLatest() {
    admin = new AdminFixture(dir);
    admin.apply(upstream("web", "127.0.0.1:9000"));
    admin.apply(AdminFixture.docs(upstream("web", "127.0.0.1:9001"), route("web", "/", "web")));

    JsonNode d = admin.get("/console/data/diff?from=1&to=2").json();
    assertThat(d.get("changes")).hasSize(2);
    assertThat(d.get("changes").get(0).get("kind").asText()).isEqualTo("Upstream");
    assertThat(d.get("changes").get(0).get("op").asText()).isEqualTo("updated");
    assertThat(d.get("changes").get(0).get("diff").asText()).contains("-    - address: 127.0.0.1:9000\n+    - address: 127.0.0.1:9001\n");
    assertThat(d.get("changes").get(1).get("op").asText()).isEqualTo("created");
    assertThat(admin.get("/console/data/diff?from=1&to=3").status()).isEqualTo(400);
    JsonNode revs = admin.get("/console/data/revisions?limit=1").json();
    assertThat(revs.get("items")).hasSize(1);
    assertThat(revs.get("items").get(0).get("revision").asLong()).isEqualTo(2);
    assertThat(revs.get("items").get(0).get("objectCount").asInt()).isEqualTo(2);
    assertThat(List.of(revs.get("items").get(0).get("objects").get(0).asText(), revs.get("items").get(0).get("objects").get(1).asText()))
        .containsExactlyInAnyOrder("Route/web", "Upstream/web");
  }

  private String raw(String request) {
    try (Socket s = new Socket("127.0.0.1", admin.base.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
