package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.schema.SchemaField;
import io.sluice.api.schema.Schemas;
import io.sluice.filter.FilterFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice explain}, run as the real command (a process, no server): the schema of a kind, a
 * field, a filter config; errors; {@code -o json}. And the single-source claim: the README's field
 * tables say what the records' javadoc says, which is what explain prints.
 */
class ExplainCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void explainsAFieldWithItsTypeDefaultRequiredAndSubFields() throws Exception {
    ServerProcess.Result r = ServerProcess.run("explain", "upstream.spec.healthCheck");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(
        "KIND:        Upstream",
        "FIELD:       spec.healthCheck <object>",
        "",
        "DESCRIPTION:",
        "    active health checks; none when left out",
        "",
        "FIELDS:",
        "  path  <string>",
        "      the request target to GET, starting with `/`; needed unless `grpc` is given",
        "  grpc  <object>",
        "      instead of `path`: the gRPC health checking protocol (`grpc.health.v1.Health/Check`) over the upstream's"
            + " HTTP/2 (`protocol: h2` or `h2c`)",
        "  interval  <duration>  default: 10s",
        "      time between the start of two checks of one endpoint (default 10s)",
        "  timeout  <duration>  default: 2s",
        "      connecting, sending and receiving the status line must take at most this, else the check fails"
            + " (default 2s; at most `interval`)",
        "  healthyThreshold  <integer>  default: 2",
        "      passes in a row that bring an unhealthy endpoint back (default 2)",
        "  unhealthyThreshold  <integer>  default: 3",
        "      failures in a row that take a healthy endpoint out (default 3)",
        "  expectedStatuses  <list of integer>  default: []",
        "      statuses that pass; empty (the default) means any 2xx",
        "  host  <string>",
        "      the Host header of the check; default the endpoint's address");
  }

  @Test
  void explainsAKindWithMetadataAndSpecFields() throws Exception {
    ServerProcess.Result r = ServerProcess.run("explain", "routes");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).startsWith("KIND:        Route", "", "DESCRIPTION:",
        "    Which requests a route takes and where it sends them.", "", "FIELDS:", "  metadata  <object>  required");
    assertThat(r.stdoutLines()).contains(
        "  spec  <object>  required",
        "      timeouts  <object>",
        "          the route's own timeouts",
        "      priority  <integer>  default: 0");
  }

  @Test
  void explainsAnEnumFieldWithItsValuesAndDefault() throws Exception {
    ServerProcess.Result r = ServerProcess.run("explain", "upstream.spec.loadBalancer");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).contains("  policy  <enum>  default: round-robin",
        "      one of: round-robin, weighted-round-robin, random, least-request, ip-hash, header-hash, ring-hash, maglev");
  }

  @Test
  void explainsABuiltInFilterConfigByItsKind() throws Exception {
    ServerProcess.Result r = ServerProcess.run("explain", "filter.key-auth.header");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(
        "KIND:        filter key-auth",
        "FIELD:       header <string>",
        "DEFAULT:     apikey",
        "",
        "DESCRIPTION:",
        "    the request header that carries the key (default `apikey`); read first");
  }

  @Test
  void refusesAnUnknownFieldNamingTheFieldsThatExist() throws Exception {
    ServerProcess.Result r = ServerProcess.run("explain", "route.spec.timeouts.total");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderrLines()).containsExactly(
        "error: Route field spec.timeouts has no field 'total'; its fields are: request, upstreamResponse, websocketIdle, websocketLifetime");
  }

  @Test
  void refusesAnUnknownKindNamingTheKindsThatExist() throws Exception {
    ServerProcess.Result r = ServerProcess.run("explain", "widget.spec");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderrLines()).containsExactly("error: unknown kind 'widget'; expected one of: secret, plugin, upstream, function, consumer,"
        + " pipeline, route, listener, globalfilter, webhook, or filter.KIND (sluice explain filter lists them)");

    ServerProcess.Result filter = ServerProcess.run("explain", "filter.key-oath");
    assertThat(filter.exitCode()).isEqualTo(2);
    assertThat(filter.stderr()).startsWith("error: no filter kind 'key-oath'; the built-in filters are: aggregate, basic-auth,")
        .contains("key-auth");
  }

  @Test
  void printsTheSameSchemaAsJson() throws Exception {
    ServerProcess.Result r = ServerProcess.run("explain", "upstream.spec.timeouts", "-o", "json");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(JSON.readTree(r.stdout())).isEqualTo(JSON.readTree("""
        {"kind": "Upstream", "field": "spec.timeouts", "name": "timeouts", "type": "object", "required": false,
         "description": "connect and response timeouts",
         "fields": [
           {"name": "connect", "type": "duration", "default": "5s", "required": false,
            "description": "a connection to an endpoint must be established within this, else 502 (default 5s)"},
           {"name": "response", "type": "duration", "default": "1m", "required": false,
            "description": "the response head must arrive within this after the whole request was sent, else 504 (default 60s)"}]}
        """));
  }

  /** One field through the command itself: the README's row and explain's description are the same text. */
  @Test
  void explainPrintsTheReadmeTableRowOfAFilterField() throws Exception {
    String row = readmeRows("cors").get("allowOrigins");
    ServerProcess.Result r = ServerProcess.run("explain", "filter.cors.allowOrigins", "-o", "json");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    JsonNode field = JSON.readTree(r.stdout());
    assertThat(field.path("description").asText()).isEqualTo(row).contains("origins allowed to call");
  }

  /**
   * Every built-in filter's README table says, field by field, what the config record's javadoc
   * says (the one source explain prints): a description changed in one place only fails here.
   */
  @Test
  void everyFilterFieldsReadmeRowIsItsJavadocDescription() throws Exception {
    int checked = 0;
    for (FilterFactory<?> f : ServiceLoader.load(FilterFactory.class)) {
      // This module's tests add filters of their own; the README documents the built-in ones.
      if (!f.getClass().getName().startsWith("io.sluice.filters.")) continue;
      Map<String, String> rows = readmeRows(f.kind());
      Map<String, String> described = new LinkedHashMap<>();
      walk(Schemas.config(f.kind(), f.configType()).fields(), "", described);
      assertThat(rows).as("the README table of " + f.kind()).containsExactlyInAnyOrderEntriesOf(described);
      checked++;
    }
    assertThat(checked).isEqualTo(21);
  }

  private static void walk(List<SchemaField> fields, String prefix, Map<String, String> out) {
    for (SchemaField f : fields) {
      String path = prefix + f.name();
      out.put(path, f.description());
      walk(f.fields(), path + (f.type().startsWith("list of") ? "[]." : "."), out);
    }
  }

  /** The rows of the README's table for filter {@code kind}: field path to its meaning. */
  private static Map<String, String> readmeRows(String kind) throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String head = "### `" + kind + "`\n";
    int start = readme.indexOf(head);
    assertThat(start).as("README section " + head.strip()).isNotNegative();
    int next = readme.indexOf("\n##", start + head.length());
    Map<String, String> rows = new LinkedHashMap<>();
    for (String line : readme.substring(start, next < 0 ? readme.length() : next).lines().toList()) {
      if (!line.startsWith("| `")) continue;
      List<String> cells = new ArrayList<>(List.of(line.substring(1, line.length() - 1).split(" \\| ", 3)));
      rows.put(cells.get(0).strip().replace("`", ""), cells.get(2).strip());
    }
    return rows;
  }
}
