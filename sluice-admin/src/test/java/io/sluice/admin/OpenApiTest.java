package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.admin.internal.Kinds;
import io.sluice.admin.internal.RouteTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenApiTest {
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

  @TempDir Path dir;
  AdminFixture admin;
  JsonNode doc;

  @BeforeEach
  void start() {
    admin = new AdminFixture(dir);
    AdminFixture.Res r = admin.get("/api/v1/openapi.json");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).isEqualTo("application/json");
    doc = r.json();
  }

  @AfterEach
  void stop() {
    admin.close();
  }

  /** "GET /api/v1/x" → the names of its query parameters. */
  private Map<String, Set<String>> documentedOperations() {
    Map<String, Set<String>> ops = new TreeMap<>();
    for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
      for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
        if (!METHODS.contains(op.getKey())) continue;
        Set<String> query = new TreeSet<>();
        Set<String> pathParams = new TreeSet<>();
        for (JsonNode p : op.getValue().path("parameters")) {
          JsonNode param = resolve(p);
          (param.get("in").asText().equals("query") ? query : pathParams).add(param.get("name").asText());
        }
        Set<String> placeholders = new TreeSet<>();
        Matcher m = Pattern.compile("\\{([^}]+)}").matcher(path.getKey());
        while (m.find()) placeholders.add(m.group(1));
        assertThat(pathParams).as("path parameters of %s %s", op.getKey(), path.getKey()).isEqualTo(placeholders);
        ops.put(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey(), query);
      }
    }
    return ops;
  }

  private Map<String, Set<String>> servedOperations() {
    Map<String, Set<String>> ops = new TreeMap<>();
    for (RouteTable.Route r : admin.server.routes()) {
      ops.put(r.method().name() + " " + r.template(), new TreeSet<>(r.queryParameters()));
    }
    return ops;
  }

  @Test
  void everyServedRouteIsDocumentedWithItsQueryParametersAndViceVersa() {
    assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
    assertThat(documentedOperations()).isEqualTo(servedOperations());
    assertThat(servedOperations()).hasSize(28);
  }

  @Test
  void everyDocumentedOperationIsRoutedByTheServer() {
    for (String op : documentedOperations().keySet()) {
      String method = op.substring(0, op.indexOf(' '));
      String path = op.substring(op.indexOf(' ') + 1).replace("{kinds}", "routes").replace("{name}", "nothing").replace("{id}", "99");
      AdminFixture.Res r = admin.send(method, path, method.equals("GET") || method.equals("DELETE") ? null : "{}");
      assertThat(r.status()).as(op + ": " + r.body()).isNotEqualTo(405).isNotEqualTo(500);
      if (r.status() == 404) assertThat(r.json().get("message").asText()).as(op).doesNotStartWith("no such path");
    }
  }

  @Test
  void kindsParameterListsEveryKind() {
    JsonNode kinds = doc.at("/components/parameters/kinds/schema/enum");
    List<String> listed = new ArrayList<>();
    kinds.forEach(k -> listed.add(k.asText()));
    assertThat(listed).isEqualTo(Kinds.plurals());
    List<String> kindNames = new ArrayList<>();
    doc.at("/components/schemas/Object/properties/kind/enum").forEach(k -> kindNames.add(k.asText()));
    assertThat(kindNames).isEqualTo(java.util.Arrays.stream(io.sluice.api.Kind.values()).map(io.sluice.api.Kind::displayName).toList());
  }

  @Test
  void everyOperationDocumentsSuccessAndErrorsAndEveryReferenceResolves() {
    for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
      for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
        JsonNode responses = op.getValue().get("responses");
        assertThat(responses.properties().stream().map(Map.Entry::getKey).filter(c -> c.startsWith("2")).toList())
            .as(op.getKey() + " " + path.getKey()).isNotEmpty();
        assertThat(responses.has("401")).as(op.getKey() + " " + path.getKey()).isTrue();
        assertThat(op.getValue().get("operationId").asText()).isNotEmpty();
      }
    }
    checkRefs(doc);
    assertThat(doc.at("/components/securitySchemes/bearer/scheme").asText()).isEqualTo("bearer");
    assertThat(doc.at("/components/schemas/Error/required").toString()).isEqualTo("[\"error\",\"message\",\"details\"]");
    assertThat(doc.at("/components/responses/Unauthorized/headers/WWW-Authenticate").isObject()).isTrue();
    assertThat(doc.at("/components/responses/MethodNotAllowed/headers/Allow").isObject()).isTrue();
  }

  private void checkRefs(JsonNode n) {
    if (n.isObject()) {
      JsonNode ref = n.get("$ref");
      if (ref != null) assertThat(doc.at(ref.asText().substring(1)).isMissingNode()).as(ref.asText()).isFalse();
      for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) checkRefs(it.next());
    } else if (n.isArray()) {
      n.forEach(this::checkRefs);
    }
  }

  private JsonNode resolve(JsonNode n) {
    return n.has("$ref") ? doc.at(n.get("$ref").asText().substring(1)) : n;
  }
}
