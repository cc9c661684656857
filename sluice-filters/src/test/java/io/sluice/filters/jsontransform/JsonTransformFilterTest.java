package io.sluice.filters.jsontransform;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code json-transform} through the real proxy: what the upstream receives and what the client receives, exactly. */
class JsonTransformFilterTest {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final String RESPONSE =
      "{\"id\":7,\"secret\":\"s3cr3t\",\"user\":{\"mail\":\"a@b\"},\"items\":[1,2],\"big\":12345678901234567890123,\"price\":1.10}";
  private static final String RESPONSE_EDITED =
      "{\"id\":7,\"user\":{\"email\":\"a@b\"},\"items\":[1,2,3],\"big\":12345678901234567890123,\"price\":1.10,"
          + "\"links\":{\"self\":\"/x\"},\"deleted\":null}";
  private static TestUpstream up;
  private static GatewayFixture gw;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.start("up", (req, ex) -> {
      switch (req.target()) {
        case "/json" -> ex.respond(200, Map.of("Content-Type", "application/json"), RESPONSE);
        case "/chunked" -> ex.respondChunked(200, Map.of("Content-Type", "application/problem+json; charset=utf-8"),
            List.of(RESPONSE.substring(0, 20), RESPONSE.substring(20)));
        case "/text" -> ex.respond(200, Map.of("Content-Type", "text/plain"), RESPONSE);
        case "/invalid" -> ex.respond(200, Map.of("Content-Type", "application/json"), "{\"secret\": \"s3cr3t\", ");
        case "/array" -> ex.respond(200, Map.of("Content-Type", "application/json"), "[ {\"secret\": 1} ]");
        default -> ex.respond(200, Map.of("Content-Type", "text/plain"), "ok");
      }
    });
    gw = Gateways.withRoute(up.address(), """
        match: {path: {prefix: /}}
        filters:
          - kind: json-transform
            config:
              request:
                set: {/meta/source: gateway, /meta/version: 2, /user/mail: set-after-rename}
                remove: [/debug, /tags/0, /missing/member]
                rename: {/user/mail: email}
              response:
                set: {/links/self: /x, /items/-: 3, /deleted: null}
                remove: [/secret]
                rename: {/user/mail: email}
        """);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
    up.close();
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static TestUpstream.Received post(String contentType, String body) throws Exception {
    up.received().clear();
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/echo"))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return up.take();
  }

  @Test
  void theUpstreamReceivesTheRequestBodyRenamedThenRemovedThenSet() throws Exception {
    TestUpstream.Received r = post("application/json",
        "{\"user\": {\"mail\": \"ann@example.com\", \"name\": \"Ann\"}, \"debug\": true, \"tags\": [\"a\", \"b\"], \"n\": 1.10}");
    // rename first (mail -> email, in place), so set then creates a new "mail" at the end
    String expected = "{\"user\":{\"email\":\"ann@example.com\",\"name\":\"Ann\",\"mail\":\"set-after-rename\"},"
        + "\"tags\":[\"b\"],\"n\":1.10,\"meta\":{\"source\":\"gateway\",\"version\":2}}";
    assertThat(r.bodyText()).isEqualTo(expected);
    assertThat(r.header("content-length")).isEqualTo(Integer.toString(expected.length()));
    assertThat(r.header("transfer-encoding")).isNull();
  }

  @Test
  void theClientReceivesTheResponseBodyEditedWithItsContentLength() throws Exception {
    HttpResponse<String> r = get("/json");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(RESPONSE_EDITED);
    assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(RESPONSE_EDITED.length()));
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
  }

  @Test
  void aChunkedPlusJsonResponseIsEditedAndSentWithAContentLength() throws Exception {
    HttpResponse<String> r = get("/chunked");
    assertThat(r.body()).isEqualTo(RESPONSE_EDITED);
    assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(RESPONSE_EDITED.length()));
    assertThat(r.headers().firstValue("transfer-encoding")).isEmpty();
  }

  @Test
  void nonJsonInvalidJsonAndUntouchedDocumentsPassByteForByte() throws Exception {
    for (Map.Entry<String, String> e : Map.of(
        "/text", RESPONSE, "/invalid", "{\"secret\": \"s3cr3t\", ", "/array", "[ {\"secret\": 1} ]").entrySet()) {
      HttpResponse<String> r = get(e.getKey());
      assertThat(r.body()).as(e.getKey()).isEqualTo(e.getValue());
      assertThat(r.headers().firstValue("content-length")).as(e.getKey()).hasValue(Integer.toString(e.getValue().length()));
    }
    String json = "{\"debug\": true}";
    assertThat(post("text/plain", json).bodyText()).isEqualTo(json);
    assertThat(post("application/json", "{\"debug\": tru").bodyText()).isEqualTo("{\"debug\": tru");
    assertThat(post("application/json", "\"just a string\"").bodyText()).isEqualTo("\"just a string\"");
    assertThat(post("application/vnd.api+json; charset=utf-8", json).bodyText())
        .isEqualTo("{\"meta\":{\"source\":\"gateway\",\"version\":2},\"user\":{\"mail\":\"set-after-rename\"}}");
  }

  @Test
  void aRequestBodyOverMaxBodySizeGets413AndAResponseBodyOverItStreamsUntouched() throws Exception {
    String big = "{\"secret\":\"" + "x".repeat(100) + "\"}";
    try (TestUpstream u = TestUpstream.start("big", (req, ex) -> ex.respond(200, Map.of("Content-Type", "application/json"), big));
        GatewayFixture small = Gateways.withRoute(u.address(), """
            match: {path: {prefix: /}}
            filters:
              - {kind: json-transform, config: {maxBodySize: 64, request: {remove: [/secret]}}}
              - {kind: json-transform, config: {maxBodySize: 64, response: {remove: [/secret]}}}
            """)) {
      URI uri = URI.create("http://127.0.0.1:" + small.port() + "/x");
      HttpResponse<String> tooLarge = CLIENT.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(big)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(tooLarge.statusCode()).isEqualTo(413);
      assertThat(u.received()).isEmpty();
      HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.body()).isEqualTo(big);
    }
  }

  @Test
  void badConfigIsRefusedNamingTheField() throws Exception {
    assertThat(Configs.routeErrors("""
        - {kind: json-transform, config: {request: {remove: [/ok, a/b, /x/~2]}}}
        - {kind: json-transform, config: {}}
        - {kind: json-transform, config: {response: {}, maxBodySize: 0}}
        - {kind: json-transform, config: {response: {rename: {/a: "", "": b}, set: {nope: 1}}}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.request.remove[1]: invalid JSON pointer 'a/b'; expected one starting with / such as /a/b",
        "Route/r: spec.filters[0].config.request.remove[2]: invalid JSON pointer '/x/~2': '~' must be written ~0 and '/' in a name ~1",
        "Route/r: spec.filters[1].config: no edits; expected request or response with set, remove or rename",
        "Route/r: spec.filters[2].config: no edits; expected request or response with set, remove or rename",
        "Route/r: spec.filters[2].config.response: empty; expected set, remove or rename",
        "Route/r: spec.filters[2].config.maxBodySize: must be greater than 0",
        "Route/r: spec.filters[3].config.response.rename./a: empty; expected the new member name",
        "Route/r: spec.filters[3].config.response.rename.: the whole document; expected a pointer to a member such as /a/b",
        "Route/r: spec.filters[3].config.response.set.nope: invalid JSON pointer 'nope'; expected one starting with / such as /a/b");
  }
}
