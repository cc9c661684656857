package io.sluice.api.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation errors name the place of the field they are about, not the start of the object's document. */
class FieldLocationTest {
  private static final String ROUTES = """
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: echo}
      spec: {endpoints: [{address: "127.0.0.1:9"}]}
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: orders}
      spec:
        upstream: echo
        match:
          path: {prefix: /orders}
          headers:
            - name: x-ok
              exact: "yes"
            - name: x-tenant
              regex: "(["
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: lost}
      spec:
        upstream: nowhere
      """;

  @Test
  void anErrorDeepInTheSecondDocumentOfAYamlFileNamesTheFieldsLineAndColumn() throws Exception {
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("routes.yaml", ROUTES);

    List<ConfigError> errors = Validator.validate(objects);

    assertThat(errors).map(ConfigError::toString).containsExactlyInAnyOrder(
        "routes.yaml:17:9: Route/orders: spec.match.headers[1].regex: invalid regular expression '([': Unclosed character class",
        "routes.yaml:23:3: Route/lost: spec.upstream: Upstream 'nowhere' does not exist");
  }

  @Test
  void anErrorInAJsonBodyNamesTheFieldsLineAndColumn() throws Exception {
    List<ConfigObject<?>> objects = ObjectCodec.readJson("<api>", """
        {"apiVersion": "sluice.io/v1", "kind": "Route", "metadata": {"name": "orders"},
         "spec": {"directResponse": {"status": 200},
                  "match": {"path": {"regex": "(["}}}}
        """);

    List<ConfigError> errors = Validator.validate(objects);

    assertThat(errors).map(ConfigError::toString).containsExactly(
        "<api>:3:30: Route/orders: spec.match.path.regex: invalid regular expression '([': Unclosed character class");
  }

  @Test
  void anErrorAboutAFieldLeftOutNamesItsNearestWrittenParentAndOneAboutTheObjectItsDocument() throws Exception {
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("r.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: a}
        spec:
          match: {path: {prefix: /}}
        """);

    assertThat(objects.getFirst().sourceOf("spec.match.path.prefix")).isEqualTo("r.yaml:5:18");
    assertThat(objects.getFirst().sourceOf("spec.upstream")).isEqualTo("r.yaml:4:1");
    assertThat(objects.getFirst().sourceOf("")).isEqualTo("r.yaml:1");
  }
}
