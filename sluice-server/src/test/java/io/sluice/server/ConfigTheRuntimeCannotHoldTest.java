package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.store.ChangeSet;
import io.sluice.store.sqlite.SqliteConfigStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The numbers through a real {@code sluice serve}: {@code timeouts.idle: 106752d} overflowed
 * {@code Duration.toNanos} in the data plane after validation let it through; a store holding one
 * then kept the server from starting ({@code sluice serve: long overflow}, exit 1).
 */
class ConfigTheRuntimeCannotHoldTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static String listenerJson(String name, int port, String idle) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Listener","metadata":{"name":"%s"},
         "spec":{"address":"127.0.0.1:%d","timeouts":{"idle":"%s"}}}""".formatted(name, port, idle);
  }

  private static String routeJson(String name, String listener) {
    return """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"%s"},
         "spec":{"listeners":["%s"],"match":{"path":{"exact":"/%s"}},"directResponse":{"status":200,"body":"%s"}}}"""
        .formatted(name, listener, name, name);
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void refusesIdleAndResponseTimeoutsLongerThanAYearAtApplyAndKeepsServing() throws Exception {
    try (ControlPlane cp = ControlPlane.start()) {
      HttpResponse<String> ok = cp.send("POST", "/api/v1/apply",
          "[" + listenerJson("main", 0, "60s") + "," + routeJson("hello", "main") + "]", null);
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> cp.get("/api/v1/status").path("appliedRevision").asLong() == 1);

      int port = BoundListeners.port(cp.get("/api/v1/status"), "main");
      HttpResponse<String> idle = cp.send("POST", "/api/v1/apply", listenerJson("main", 0, "106752d"), null);
      assertThat(idle.statusCode()).isEqualTo(422);
      assertThat(ControlPlane.JSON.readTree(idle.body()).path("errors").toString()).isEqualTo(
          "[{\"source\":\"<api>:2:46\",\"object\":\"Listener/main\",\"field\":\"spec.timeouts.idle\","
              + "\"message\":\"106752d is longer than the maximum 365d\"}]");

      HttpResponse<String> response = cp.send("POST", "/api/v1/apply", """
          {"apiVersion":"sluice.io/v1","kind":"Upstream","metadata":{"name":"slow"},
           "spec":{"endpoints":[{"address":"127.0.0.1:9"}],"timeouts":{"response":"106752d"}}}""", null);
      assertThat(response.statusCode()).isEqualTo(422);
      assertThat(ControlPlane.JSON.readTree(response.body()).path("errors").toString()).isEqualTo(
          "[{\"source\":\"<api>:2:62\",\"object\":\"Upstream/slow\",\"field\":\"spec.timeouts.response\","
              + "\"message\":\"106752d is longer than the maximum 365d\"}]");

      JsonNode status = cp.get("/api/v1/status");
      assertThat(status.path("storeRevision").asLong()).isEqualTo(1);
      assertThat(status.path("appliedRevision").asLong()).isEqualTo(1);
      assertThat(cp.get("/api/v1/listeners/main").path("spec").path("timeouts").path("idle").asText()).isEqualTo("1m");
      assertThat(get(port, "/hello").body()).isEqualTo("hello");
    }
  }

  @Test
  void refusesAYamlAliasAtApplyNamingItsLineAndStoresNothing() throws Exception {
    try (ControlPlane cp = ControlPlane.start()) {
      HttpRequest request = HttpRequest.newBuilder(URI.create(cp.url() + "/api/v1/apply"))
          .header("Content-Type", "application/yaml")
          .POST(HttpRequest.BodyPublishers.ofString("""
              apiVersion: sluice.io/v1
              kind: Route
              metadata: {name: r}
              spec:
                match: {path: {exact: &p /ping}}
                directResponse: {status: 200, body: *p}
              """))
          .build();
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(422);
      assertThat(ControlPlane.JSON.readTree(r.body()).path("errors").toString()).isEqualTo(
          "[{\"source\":\"<api>:6\",\"object\":\"document 1\",\"field\":\"\",\"message\":\"not valid YAML: alias *p: "
              + "YAML anchors (&) and aliases (*) are not supported; write the value out in full\"}]");
      assertThat(cp.get("/api/v1/status").path("storeRevision").asLong()).isZero();
      assertThat(cp.get("/api/v1/routes").path("items").size()).isZero();
    }
  }

  @Test
  void startsOnAStoreHoldingAListenerTheRuntimeCannotHoldAndServesTheRest(@TempDir Path data) throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(data)) {
      ChangeSet.Builder b = ChangeSet.builder().author("test");
      for (ConfigObject<?> o : ObjectCodec.readJson("test.json", "[" + listenerJson("main", 0, "60s") + ","
          + listenerJson("other", 0, "60s") + "," + routeJson("hello", "main") + "," + routeJson("there", "other") + "]")) {
        b.put(o);
      }
      store.apply(b.build());
    }
    // As a store written before the bound was checked holds it: the object as the API accepted it then.
    String stored = ObjectCodec.toJson(ObjectCodec.readJson("test.json", listenerJson("other", 0, "106752d")).getFirst());
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve(SqliteConfigStore.DATABASE_FILE));
        PreparedStatement s = c.prepareStatement("UPDATE versions SET json = ? WHERE kind = 'Listener' AND name = 'other'")) {
      s.setString(1, stored);
      assertThat(s.executeUpdate()).isEqualTo(1);
    }

    try (ServerProcess sluice = ServerProcess.start("serve", "--data-dir", data.toString(),
        "--admin-address", "127.0.0.1:0", "--event-loops", "1")) {
      String admin = "http://127.0.0.1:" + sluice.adminPort();
      assertThat(get(sluice.awaitListener("main"), "/hello").body()).isEqualTo("hello");
      HttpResponse<String> status = HTTP.send(HttpRequest.newBuilder(URI.create(admin + "/api/v1/status")).build(),
          HttpResponse.BodyHandlers.ofString());
      JsonNode s = ControlPlane.JSON.readTree(status.body());
      assertThat(s.path("appliedRevision").asLong()).isEqualTo(1);
      assertThat(s.path("skippedObjects").toString()).isEqualTo(
          "[{\"object\":\"Listener/other\",\"error\":\"spec.timeouts.idle: 106752d is longer than the maximum 365d\"},"
          + "{\"object\":\"Route/there\",\"error\":\"spec.listeners[0]: Listener 'other' does not exist\"}]");
      assertThat(sluice.stderr()).contains(
          "revision 1: Listener/other is not valid, skipping it and serving the rest: spec.timeouts.idle: 106752d is longer than the maximum 365d");

      String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(admin + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("sluice_config_objects_skipped{kind=\"Listener\",name=\"other\"} 1\n",
          "sluice_config_objects_skipped{kind=\"Route\",name=\"there\"} 1\n");

      ServerProcess.Result cli = ServerProcess.run("status", "--server", admin);
      assertThat(cli.exitCode()).isZero();
      assertThat(cli.stdout()).contains("""
          skipped objects:  2 (stored but not served)
            Listener/other: spec.timeouts.idle: 106752d is longer than the maximum 365d
            Route/there: spec.listeners[0]: Listener 'other' does not exist
          """);

      // A change that repairs the listener applies, and brings its route back.
      HttpResponse<String> fix = HTTP.send(HttpRequest.newBuilder(URI.create(admin + "/api/v1/apply"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(listenerJson("other", 0, "60s"))).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(fix.statusCode()).as(fix.body()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> ControlPlane.JSON.readTree(HTTP.send(
          HttpRequest.newBuilder(URI.create(admin + "/api/v1/status")).build(), HttpResponse.BodyHandlers.ofString()).body())
          .path("appliedRevision").asLong() == 2);
      int other = BoundListeners.port(ControlPlane.JSON.readTree(HTTP.send(
          HttpRequest.newBuilder(URI.create(admin + "/api/v1/status")).build(), HttpResponse.BodyHandlers.ofString()).body()), "other");
      assertThat(get(other, "/there").body()).isEqualTo("there");
      assertThat(ControlPlane.JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(admin + "/api/v1/status")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).path("skippedObjects").size()).isZero();
    }
    assertThat(Files.exists(data.resolve(SqliteConfigStore.DATABASE_FILE))).isTrue();
  }
}
