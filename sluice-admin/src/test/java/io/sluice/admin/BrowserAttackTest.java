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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The requests a web page the operator visits can make a browser send to an admin API without
 * tokens on loopback, sent byte for byte as a browser sends them (raw sockets): HTML form posts,
 * a body-less form post to rollback, cross-site fetches, DNS rebinding. None may read or change
 * anything; curl-style clients and the admin API's own origin keep working.
 */
class BrowserAttackTest {
  static final String EVIL = "http://evil.example";
  /** A Consumer: what a rebinding page would steal. */
  static final String CONSUMER = """
      apiVersion: sluice.io/v1
      kind: Consumer
      metadata:
        name: alice
      spec:
        keyAuth:
          key: alice-secret-key-0123
      """;
  /** An object as JSON, the body a text/plain form or a no-cors fetch carries. */
  static final String UPSTREAM_JSON =
      "{\"apiVersion\":\"sluice.io/v1\",\"kind\":\"Upstream\",\"metadata\":{\"name\":\"evil\"},"
          + "\"spec\":{\"endpoints\":[{\"address\":\"127.0.0.1:6666\"}]}}";

  @TempDir Path dir;
  AdminFixture admin;
  int port;

  @BeforeEach
  void start() {
    admin = new AdminFixture(dir);
    port = admin.base.getPort();
  }

  @AfterEach
  void stop() {
    admin.close();
  }

  /** A response read off a raw socket. */
  record Raw(int status, String head, String body) {
    JsonNode json() {
      try {
        return AdminFixture.JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (status " + status + "): " + body, e);
      }
    }

    String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) return line.substring(colon + 1).strip();
      }
      return "";
    }
  }

  /** Sends one request with {@code headers} (and Content-Length when there is a body) and reads the answer. */
  Raw send(String method, String target, String body, String... headers) {
    StringBuilder r = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    for (String h : headers) r.append(h).append("\r\n");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (method.equals("POST") || method.equals("PUT") || bytes.length > 0) r.append("Content-Length: ").append(bytes.length).append("\r\n");
    r.append("\r\n");
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(r.toString().getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
      String text = HttpBehaviourTest.readResponse(s.getInputStream());
      int split = text.indexOf("\r\n\r\n");
      return new Raw(Integer.parseInt(text.substring(9, 12)), text.substring(0, split), text.substring(split + 4));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What a browser adds to a form submission from {@code origin} (null: an older browser or a navigation without Origin). */
  static String[] browser(String host, String contentType, String origin, String fetchSite) {
    List<String> h = new ArrayList<>(List.of("Host: " + host, "Connection: keep-alive", "Cache-Control: max-age=0",
        "Upgrade-Insecure-Requests: 1", "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "Accept-Language: en-GB,en;q=0.9"));
    if (contentType != null) h.add("Content-Type: " + contentType);
    if (origin != null) h.add("Origin: " + origin);
    if (fetchSite != null) {
      h.addAll(List.of("Sec-Fetch-Site: " + fetchSite, "Sec-Fetch-Mode: navigate", "Sec-Fetch-User: ?1", "Sec-Fetch-Dest: document"));
    }
    return h.toArray(String[]::new);
  }

  String originRefusal(String origin) {
    return "Origin '" + origin + "' is not this admin API's own origin (http://127.0.0.1:" + port
        + "): a web page on another origin may not call the admin API. To allow a browser console on that origin,"
        + " start sluice serve with --admin-allowed-origins " + origin;
  }

  static String contentTypeRefusal(String method, String path, String got) {
    return method + " " + path + " needs Content-Type: application/json or application/yaml (with a body in that format), got "
        + got + ". Plain text, form and multipart bodies and body-less POSTs are refused because an HTML form on any web"
        + " page can send them";
  }

  String hostRefusal(String host, String name) {
    return "Host '" + host + "' is not a name of this admin API (accepted: localhost, 127.0.0.1, [::1]); a web page can"
        + " reach a local admin API under its own name through DNS rebinding. To allow the name, start sluice serve with"
        + " --admin-allowed-hosts " + name;
  }

  static void assertRefused(Raw r, String reason, String message) {
    assertThat(r.status()).as(r.body()).isEqualTo(403);
    assertThat(r.header("content-type")).isEqualTo("application/json");
    assertThat(r.json().get("error").asText()).isEqualTo("forbidden");
    assertThat(r.json().get("reason").asText()).isEqualTo(reason);
    assertThat(r.json().get("message").asText()).isEqualTo(message);
  }

  int objectCount() {
    return admin.store.snapshot().objects().size();
  }

  @Test
  void refusesFormPostsToApplyWithOrWithoutOrigin() {
    // A text/plain HTML form: one field named '{..."annotations":{"pad":"' with the value 'x"}},...}' sends JSON.
    String textPlainForm = UPSTREAM_JSON.replace("{\"name\":\"evil\"}", "{\"name\":\"evil\",\"annotations\":{\"pad\":\"=x\"}}") + "\r\n";
    Map<String, String> bodies = Map.of(
        "text/plain", textPlainForm,
        "application/x-www-form-urlencoded", UPSTREAM_JSON,
        "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", UPSTREAM_JSON);
    String host = "127.0.0.1:" + port;
    for (Map.Entry<String, String> b : bodies.entrySet()) {
      Raw crossSite = send("POST", "/api/v1/apply", b.getValue(), browser(host, b.getKey(), EVIL, "cross-site"));
      assertRefused(crossSite, "origin", originRefusal(EVIL));
      Raw noOrigin = send("POST", "/api/v1/apply", b.getValue(), browser(host, b.getKey(), null, null));
      assertRefused(noOrigin, "content_type", contentTypeRefusal("POST", "/api/v1/apply", "'" + b.getKey() + "'"));
      Raw noOriginCreate = send("POST", "/api/v1/upstreams", b.getValue(), browser(host, b.getKey(), null, null));
      assertRefused(noOriginCreate, "content_type", contentTypeRefusal("POST", "/api/v1/upstreams", "'" + b.getKey() + "'"));
    }
    // A fetch() without preflight may also leave the type out (a Blob body).
    Raw untyped = send("PUT", "/api/v1/upstreams/evil", UPSTREAM_JSON, "Host: " + host);
    assertRefused(untyped, "content_type", contentTypeRefusal("PUT", "/api/v1/upstreams/evil", "none"));
    assertThat(admin.store.revision()).isZero();

    // curl-style clients: a JSON or YAML type, no Origin.
    Raw json = send("POST", "/api/v1/apply", UPSTREAM_JSON, "Host: " + host, "Content-Type: application/json; charset=utf-8");
    assertThat(json.status()).as(json.body()).isEqualTo(200);
    Raw yaml = send("POST", "/api/v1/apply", upstream("echo", "127.0.0.1:9001"), "Host: localhost:" + port, "Content-Type: application/yaml");
    assertThat(yaml.status()).as(yaml.body()).isEqualTo(200);
    assertThat(objectCount()).isEqualTo(2);
  }

  @Test
  void refusesABodylessFormPostToRollbackAndKeepsEveryObject() {
    for (int i = 0; i < 6; i++) {
      admin.apply(AdminFixture.docs(upstream("u" + i, "127.0.0.1:" + (9000 + i)), route("r" + i, "/p" + i, "u" + i)));
    }
    assertThat(objectCount()).isEqualTo(12);
    long revision = admin.store.revision();
    String host = "127.0.0.1:" + port;
    String form = "application/x-www-form-urlencoded";

    Raw crossSite = send("POST", "/api/v1/rollback?to=0", "", browser(host, form, EVIL, "cross-site"));
    assertRefused(crossSite, "origin", originRefusal(EVIL));
    Raw noOrigin = send("POST", "/api/v1/rollback?to=0", "", browser(host, form, null, null));
    assertRefused(noOrigin, "content_type", contentTypeRefusal("POST", "/api/v1/rollback", "'" + form + "'"));
    Raw bare = send("POST", "/api/v1/rollback?to=0", "", "Host: " + host);
    assertRefused(bare, "content_type", contentTypeRefusal("POST", "/api/v1/rollback", "none"));
    Raw typedQuery = send("POST", "/api/v1/rollback?to=0", "", "Host: " + host, "Content-Type: application/json");
    assertThat(typedQuery.status()).isEqualTo(400);
    assertThat(typedQuery.json().get("message").asText())
        .as("to is no longer a query parameter").isEqualTo("unknown query parameter 'to'; POST /api/v1/rollback takes baseRevision, dryRun, force, message, output");
    Raw oneObject = send("POST", "/api/v1/upstreams/u1/rollback", "", browser(host, "text/plain", null, null));
    assertRefused(oneObject, "content_type", contentTypeRefusal("POST", "/api/v1/upstreams/u1/rollback", "'text/plain'"));
    assertThat(objectCount()).isEqualTo(12);
    assertThat(admin.store.revision()).isEqualTo(revision);

    Raw json = send("POST", "/api/v1/rollback?dryRun=true", "{\"to\":0}", "Host: [::1]:" + port, "Content-Type: application/json");
    assertThat(json.status()).as(json.body()).isEqualTo(200);
    assertThat(json.json().get("changes")).hasSize(12);
    assertThat(objectCount()).isEqualTo(12);
  }

  @Test
  void refusesDnsRebindingReadsAndWrites() {
    admin.apply(CONSUMER);
    String rebound = "rebind.attacker.example:" + port;
    // Same origin after rebinding: the browser sends no Origin on a GET, and may send any type.
    String[] sameOrigin = {"Host: " + rebound, "User-Agent: Mozilla/5.0", "Accept: */*", "Sec-Fetch-Site: same-origin",
        "Sec-Fetch-Mode: cors", "Sec-Fetch-Dest: empty"};
    for (String path : List.of("/api/v1/consumers", "/api/v1/consumers/alice", "/api/v1/objects", "/api/v1/consumers/alice/history")) {
      Raw read = send("GET", path, "", sameOrigin);
      assertRefused(read, "host", hostRefusal(rebound, "rebind.attacker.example"));
      assertThat(read.body()).doesNotContain("alice-secret-key");
    }
    List<String> write = new ArrayList<>(List.of(sameOrigin));
    write.add("Content-Type: application/json");
    write.add("Origin: http://" + rebound);
    Raw apply = send("POST", "/api/v1/apply", UPSTREAM_JSON, write.toArray(String[]::new));
    assertRefused(apply, "host", hostRefusal(rebound, "rebind.attacker.example"));
    Raw delete = send("DELETE", "/api/v1/consumers/alice", "", sameOrigin);
    assertRefused(delete, "host", hostRefusal(rebound, "rebind.attacker.example"));
    Raw noHost = send("GET", "/api/v1/objects", "");
    assertRefused(noHost, "host", "the request has no Host header; this admin API needs exactly one, naming localhost, 127.0.0.1, [::1]");
    assertThat(objectCount()).isEqualTo(1);
    assertThat(admin.store.revision()).isEqualTo(1);

    for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST", "127.0.0.1")) {
      Raw ok = send("GET", "/api/v1/consumers/alice", "", "Host: " + host);
      assertThat(ok.status()).as(host).isEqualTo(200);
    }
  }

  @Test
  void refusesForeignOriginsAndCrossSiteFetchesButNotTheApisOwnOrigin() {
    String host = "127.0.0.1:" + port;
    Raw foreignJson = send("POST", "/api/v1/apply", UPSTREAM_JSON, "Host: " + host, "Content-Type: application/json", "Origin: " + EVIL);
    assertRefused(foreignJson, "origin", originRefusal(EVIL));
    // The data plane's own listener on another port is the same site, but not the same origin.
    String gatewayPage = "http://127.0.0.1:8080";
    Raw sameSite = send("POST", "/api/v1/apply", UPSTREAM_JSON, "Host: " + host, "Content-Type: application/json",
        "Origin: " + gatewayPage, "Sec-Fetch-Site: same-site");
    assertRefused(sameSite, "origin", originRefusal(gatewayPage));
    Raw nullOrigin = send("POST", "/api/v1/apply", UPSTREAM_JSON, "Host: " + host, "Content-Type: application/json", "Origin: null");
    assertRefused(nullOrigin, "origin", "Origin 'null' is not this admin API's own origin (http://127.0.0.1:" + port
        + "): a web page on another origin may not call the admin API. To allow a browser console on that origin,"
        + " start sluice serve with --admin-allowed-origins ORIGIN");
    String fetchSiteRefusal = ": the browser says a page on another site sent this request, and only a page on an allowed"
        + " origin may call the admin API. To allow a browser console, start sluice serve with --admin-allowed-origins ORIGIN";
    Raw crossSiteRead = send("GET", "/api/v1/objects", "", "Host: " + host, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors");
    assertRefused(crossSiteRead, "fetch_site", "Sec-Fetch-Site: cross-site" + fetchSiteRefusal);
    Raw sameSiteRead = send("GET", "/metrics", "", "Host: " + host, "Sec-Fetch-Site: same-site");
    assertThat(sameSiteRead.status()).isEqualTo(403);
    assertThat(admin.store.revision()).isZero();

    Raw own = send("POST", "/api/v1/apply", UPSTREAM_JSON, "Host: " + host, "Content-Type: application/json",
        "Origin: http://" + host, "Sec-Fetch-Site: same-origin");
    assertThat(own.status()).as(own.body()).isEqualTo(200);
    Raw typed = send("GET", "/api/v1/openapi.json", "", "Host: " + host, "Sec-Fetch-Site: none", "Sec-Fetch-Mode: navigate");
    assertThat(typed.status()).as("an address typed into the browser").isEqualTo(200);
  }

  @Test
  void allowedHostsAndOriginsLetAConsoleIn(@TempDir Path other) throws IOException {
    AdminServer.Builder b = AdminServer.builder()
        .address(new java.net.InetSocketAddress("127.0.0.1", 0))
        .access(new AdminAccess(List.of("Admin.Internal", "::1"), List.of("HTTPS://console.example.com:443")))
        .nodeStatus(() -> new NodeStatus("n", "v", 0, AdminFixture.STARTED, Map.of()))
        .routeTester(r -> RouteTestResult.noMatch())
        .stats(() -> AdminFixture.STATS);
    try (var store = io.sluice.store.sqlite.SqliteConfigStore.open(other); AdminServer server = b.store(store).build()) {
      server.start();
      port = server.boundAddress().getPort();
      Raw named = send("GET", "/api/v1/objects", "", "Host: admin.internal:" + port);
      assertThat(named.status()).as(named.body()).isEqualTo(200);
      Raw console = send("POST", "/api/v1/apply", UPSTREAM_JSON, "Host: admin.internal", "Content-Type: application/json",
          "Origin: https://console.example.com", "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: cors");
      assertThat(console.status()).as(console.body()).isEqualTo(200);
      Raw other1 = send("GET", "/api/v1/objects", "", "Host: admin.internal.attacker.example");
      assertThat(other1.status()).isEqualTo(403);
      assertThat(other1.json().get("message").asText()).contains("(accepted: localhost, 127.0.0.1, [::1], admin.internal)");
      Raw otherOrigin = send("POST", "/api/v1/apply", UPSTREAM_JSON, "Host: admin.internal", "Content-Type: application/json",
          "Origin: http://console.example.com", "Sec-Fetch-Site: cross-site");
      assertRefused(otherOrigin, "origin", "Origin 'http://console.example.com' is not this admin API's own origin (http://admin.internal):"
          + " a web page on another origin may not call the admin API. To allow a browser console on that origin,"
          + " start sluice serve with --admin-allowed-origins http://console.example.com");
      assertThat(store.revision()).isEqualTo(1);
    }
  }

  @Test
  void allowedHostsAndOriginsAreCheckedAndNormalised() {
    AdminAccess a = new AdminAccess(List.of(" Admin.Example.COM ", "[0:0:0:0:0:0:0:1]", "10.0.0.5"),
        List.of("https://Console.example.com:443", "http://127.0.0.1:8080"));
    assertThat(a.allowedHosts()).containsExactly("admin.example.com", "[::1]", "10.0.0.5");
    assertThat(a.allowedOrigins()).containsExactly("https://console.example.com", "http://127.0.0.1:8080");
    for (String bad : List.of("admin.example.com:9900", "http://admin.example.com", "*.example.com", "")) {
      assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new AdminAccess(List.of(bad), List.of())))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("invalid allowed admin host '" + bad
              + "': expected a host name or IP address without scheme or port, such as admin.example.com or 10.0.0.5");
    }
    for (String bad : List.of("console.example.com", "https://console.example.com/app", "ftp://x.example", "null")) {
      assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new AdminAccess(List.of(), List.of(bad))))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("invalid allowed admin origin '" + bad
              + "': expected scheme://host[:port] with scheme http or https and no path, such as https://console.example.com");
    }
  }
}
