package io.sluice.api.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigSet;
import io.sluice.api.codec.ObjectCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoopWarningsTest {
  private static List<String> warnings(String yaml) throws Exception {
    // Without the "gw.yaml:N: " source, whose line is the validation's business.
    return LoopWarnings.of(ConfigSet.of(ObjectCodec.readYaml("gw.yaml", yaml))).stream()
        .map(w -> w.object() + ": " + w.field() + ": " + w.message()).toList();
  }

  private static final String LISTENERS = """
      apiVersion: sluice.io/v1
      kind: Listener
      metadata: {name: main}
      spec: {address: 0.0.0.0:8080}
      ---
      apiVersion: sluice.io/v1
      kind: Listener
      metadata: {name: backend}
      spec: {address: 127.0.0.1:8081}
      ---
      """;

  private static String upstream(String name, String address) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: %s}
        spec: {endpoints: [{address: "%s"}]}
        ---
        """.formatted(name, address);
  }

  @Test
  void aRouteOnEveryListenerWhoseUpstreamIsOneOfThemIsWarnedAbout() throws Exception {
    assertThat(warnings(LISTENERS + upstream("self", "localhost:8080") + """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec: {upstream: self}
        """)).containsExactly("Route/all: spec.upstream: upstream self's endpoint localhost:8080 is listener main"
        + " (0.0.0.0:8080), which serves this route: its requests would come back to it (the gateway answers them"
        + " 508 loop_detected); restrict the route with spec.listeners");
  }

  @Test
  void aRouteThatProxiesToAnotherListenerOfTheGatewayIsNotALoop() throws Exception {
    assertThat(warnings(LISTENERS + upstream("echo", "127.0.0.1:8081") + upstream("other", "127.0.0.1:9000") + """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: front}
        spec: {listeners: [main], upstream: echo}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: split}
        spec: {listeners: [main], upstreams: [{name: other}], canary: [{when: {header: {name: x, exact: "1"}}, upstream: echo}]}
        """)).isEmpty();
  }

  @Test
  void splitAndCanaryUpstreamsAreCheckedTooWithTheirField() throws Exception {
    assertThat(warnings(LISTENERS + upstream("echo", "127.0.0.1:8081") + upstream("other", "127.0.0.1:9000") + """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: split}
        spec: {listeners: [backend], upstreams: [{name: other}, {name: echo}], canary: [{when: {header: {name: x, exact: "1"}}, upstream: echo}]}
        """)).extracting(w -> w.substring(0, w.indexOf(" upstream echo")))
        .containsExactly("Route/split: spec.upstreams[1].name:", "Route/split: spec.canary[0].upstream:");
  }

  @Test
  void addressesMatchOnTheSamePortOnly() {
    assertThat(LoopWarnings.sameAddress("0.0.0.0:8080", "127.0.0.2:8080")).isTrue();
    assertThat(LoopWarnings.sameAddress("[::]:8080", "[::1]:8080")).isTrue();
    assertThat(LoopWarnings.sameAddress("127.0.0.1:8080", "LOCALHOST:8080")).isTrue();
    assertThat(LoopWarnings.sameAddress("127.0.0.1:8080", "127.0.0.1:8081")).isFalse();
    assertThat(LoopWarnings.sameAddress("127.0.0.1:8080", "10.0.0.5:8080")).isFalse();
    assertThat(LoopWarnings.sameAddress("0.0.0.0:8080", "backend.internal:8080")).isFalse();
  }
}
