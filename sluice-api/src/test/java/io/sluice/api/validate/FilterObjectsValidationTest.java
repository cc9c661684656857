package io.sluice.api.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.filter.FilterConfigValidator;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Filter lists, Pipelines, GlobalFilters and Consumers, validated by sluice-api alone: without the
 * data plane no filter kinds are installed, so configs are checked by a validator the test passes.
 */
class FilterObjectsValidationTest {
  private static final String BASE = """
      apiVersion: sluice.io/v1
      kind: Listener
      metadata: {name: public}
      spec: {address: 127.0.0.1:8080}
      ---
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: orders}
      spec: {endpoints: [{address: 10.0.0.1:8080}]}
      ---
      """;

  /** Knows the kind {@code stamp}, whose config needs a non-empty {@code text}. */
  private static final FilterConfigValidator STAMP = new FilterConfigValidator() {
    @Override
    public SortedSet<String> kinds() {
      return new TreeSet<>(List.of("stamp"));
    }

    @Override
    public void validate(String kind, com.fasterxml.jackson.databind.JsonNode config, Problems problems) {
      if (config == null || !config.path("text").isTextual() || config.path("text").asText().isEmpty()) {
        problems.add("text", "missing; expected a text");
      }
    }
  };

  private static List<String> errors(String yaml, FilterConfigValidator validator) throws Exception {
    List<ConfigError> errors = Validator.validate(ObjectCodec.readYaml("t.yaml", BASE + yaml), Set.of(), validator);
    return errors.stream().map(e -> e.object() + ": " + e.field() + ": " + e.message()).toList();
  }

  @Test
  void withoutAFilterValidatorOnlyTheShapeOfFilterListsIsChecked() throws Exception {
    assertThat(FilterConfigValidator.installed()).isNull();
    assertThat(errors("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: orders
          filters:
            - {kind: anything, config: {whatever: 1}}
            - {name: Bad_Name}
            - {kind: x, name: a, onResult: {"bad result": END, ok: a}}
        """, null)).containsExactly(
        "Route/r: spec.filters[1].kind: missing; expected a filter kind such as header",
        "Route/r: spec.filters[1].name: invalid name 'Bad_Name': expected lower-case letters, digits, '-' and '.', "
            + "starting and ending with a letter or digit",
        "Route/r: spec.filters[2].onResult.bad result: invalid result name 'bad result': expected letters, digits, '-', '_' and '.'",
        "Route/r: spec.filters[2].onResult.ok: 'a' is not after this filter; a jump only goes forward (so a flow "
            + "cannot loop), expected a later filter or END");
  }

  @Test
  void aFilterValidatorChecksKindsAndConfigsEverywhereFiltersAreListed() throws Exception {
    assertThat(errors("""
        apiVersion: sluice.io/v1
        kind: Pipeline
        metadata: {name: p}
        spec:
          filters: [{kind: stamp, config: {text: ""}}]
        ---
        apiVersion: sluice.io/v1
        kind: GlobalFilter
        metadata: {name: g}
        spec:
          before: [{kind: stamp, config: {text: a}}]
          after: [{kind: other}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: orders
          pipeline: p
          filters: [{kind: stamp}]
        """, STAMP)).containsExactly(
        "Pipeline/p: spec.filters[0].config.text: missing; expected a text",
        "GlobalFilter/g: spec.after[0].kind: unknown filter kind 'other'; expected one of stamp",
        "Route/r: spec.filters[0].config.text: missing; expected a text");
  }

  @Test
  void pipelinesAndGlobalFiltersMustExistAndNamesMustNotClash() throws Exception {
    assertThat(errors("""
        apiVersion: sluice.io/v1
        kind: Pipeline
        metadata: {name: p}
        spec:
          filters: [{kind: stamp, name: auth, config: {text: a}}]
        ---
        apiVersion: sluice.io/v1
        kind: Pipeline
        metadata: {name: empty}
        spec: {filters: []}
        ---
        apiVersion: sluice.io/v1
        kind: GlobalFilter
        metadata: {name: a}
        spec:
          listeners: [public, nowhere]
          before: [{kind: stamp, name: common, config: {text: a}}]
        ---
        apiVersion: sluice.io/v1
        kind: GlobalFilter
        metadata: {name: b}
        spec:
          after: [{kind: stamp, name: common, config: {text: b}}, {kind: stamp, name: common, config: {text: c}}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: orders
          pipeline: p
          filters: [{kind: stamp, name: auth, config: {text: a}}]
          disableGlobal: [common, typo]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: s}
        spec: {upstream: orders, pipeline: ghost}
        """, STAMP)).containsExactly(
        "Pipeline/empty: spec.filters: missing; expected at least one filter such as {kind: header, config: {...}}",
        "GlobalFilter/a: spec.listeners[1]: Listener 'nowhere' does not exist",
        "GlobalFilter/b: spec.after[1].name: duplicate filter name 'common', already spec.after[0]",
        "Route/r: spec.filters[0].name: duplicate filter name 'auth', already a filter of Pipeline/p",
        "Route/r: spec.disableGlobal[1]: no GlobalFilter has a filter named 'typo'",
        "Route/s: spec.pipeline: Pipeline 'ghost' does not exist",
        "GlobalFilter/b: spec.after[0].name: filter name 'common' is also used by GlobalFilter/a, which applies to "
            + "the same listeners; expected names unique among the GlobalFilters of a listener");
  }

  @Test
  void consumersNeedCredentialsThatIdentifyThemAlone() throws Exception {
    assertThat(errors("""
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: a}
        spec:
          keyAuth: {key: key-0000001}
          basicAuth: {username: ann, password: pw}
        ---
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: b}
        spec:
          keyAuth: {key: key-0000001}
          basicAuth: {username: ann, password: ""}
          rateLimit: {requests: 0, per: 0s, burst: 0}
        ---
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: c}
        spec:
          keyAuth: {key: "has space1"}
          basicAuth: {username: "x:y", password: p}
        ---
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: d}
        spec: {}
        """, STAMP)).containsExactly(
        "Consumer/b: spec.basicAuth.password: missing; expected the password the consumer sends, or a passwordHash",
        "Consumer/b: spec.rateLimit.requests: expected at least 1, got 0",
        "Consumer/b: spec.rateLimit.per: expected a duration greater than zero",
        "Consumer/b: spec.rateLimit.burst: expected at least 1, got 0",
        "Consumer/c: spec.keyAuth.key: expected visible ASCII characters only (it is sent in a header or query parameter)",
        "Consumer/c: spec.basicAuth.username: invalid user name 'x:y': expected no ':' and no control characters",
        "Consumer/b: spec.keyAuth.key: the same key as Consumer/a; keys must be unique",
        "Consumer/b: spec.basicAuth.username: user name 'ann' is also Consumer/a's; user names must be unique");
  }

  @Test
  void theNewKindsComeInDependencyOrderAndRoutesReferToTheirPipeline() throws Exception {
    ConfigSet set = ConfigSet.of(ObjectCodec.readYaml("t.yaml", BASE + """
        apiVersion: sluice.io/v1
        kind: GlobalFilter
        metadata: {name: g}
        spec: {listeners: [public], before: [{kind: stamp}]}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec: {upstream: orders, pipeline: p}
        ---
        apiVersion: sluice.io/v1
        kind: Pipeline
        metadata: {name: p}
        spec: {filters: [{kind: stamp}]}
        ---
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: c}
        spec: {keyAuth: {key: 12345678}}
        """));
    assertThat(set.all()).extracting(ConfigObject::ref).containsExactly(
        "Upstream/orders", "Consumer/c", "Pipeline/p", "Route/r", "Listener/public", "GlobalFilter/g");
    assertThat(set.routes().get(0).spec().references()).containsExactly(
        new ObjectRef(Kind.UPSTREAM, "orders"), new ObjectRef(Kind.PIPELINE, "p"));
    assertThat(set.globalFilters().get(0).spec().references()).containsExactly(new ObjectRef(Kind.LISTENER, "public"));
    assertThat(set.pipeline("p")).isNotNull();
    assertThat(set.consumers()).hasSize(1);
  }

  @Test
  void filterSpecsSurviveAWriteAndReadBack() throws Exception {
    List<ConfigObject<?>> objects = ObjectCodec.readYaml("t.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: orders
          filters:
            - kind: stamp
              name: s
              config: {text: hi, nested: {list: [1, "two", true], size: 16KiB}}
              onResult: {b: END, a: END}
        """);
    ConfigObject<?> again = ObjectCodec.readYaml("t.yaml", ObjectCodec.toYaml(objects.get(0))).get(0);
    assertThat(again.spec()).isEqualTo(objects.get(0).spec());
    ConfigObject<?> json = ObjectCodec.readJson("t.json", ObjectCodec.toJson(objects.get(0))).get(0);
    assertThat(json.spec()).isEqualTo(objects.get(0).spec());
  }
}
