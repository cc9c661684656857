package io.sluice.proxy.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ConfigSet;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.proxy.filter.internal.FilterChain;
import io.sluice.proxy.filter.internal.FilterChains;
import io.sluice.proxy.filter.internal.FilterRegistry;
import org.junit.jupiter.api.Test;

/** How chains are assembled per route and listener, at apply time. */
class FilterChainsTest {
  private static FilterChains compile(String yaml) throws Exception {
    ConfigSet set = ConfigSet.of(ObjectCodec.readYaml("c.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: a}
        spec: {address: "127.0.0.1:1"}
        ---
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: b}
        spec: {address: "127.0.0.1:2"}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: u}
        spec: {endpoints: [{address: "127.0.0.1:3"}]}
        ---
        """ + yaml));
    return FilterChains.compile(set, FilterChains.SharedState.EMPTY, FilterRegistry.installed(), new io.sluice.proxy.metrics.internal.FilterMeters());
  }

  @Test
  void aRouteWithoutFiltersHasNoChainAtAll() throws Exception {
    FilterChains chains = compile("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: plain}
        spec: {upstream: u}
        """);
    assertThat(chains.chain("plain", "a")).isNull();
    assertThat(chains.chain("plain", "b")).isNull();
  }

  @Test
  void chainsThatComeOutTheSameAreOneObjectAndGlobalFiltersFollowTheirListeners() throws Exception {
    FilterChains chains = compile("""
        apiVersion: sluice.io/v1
        kind: GlobalFilter
        metadata: {name: only-b}
        spec:
          listeners: [b]
          before: [{kind: test-mark, name: gb, config: {mark: gb}}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: u
          filters: [{kind: test-mark, config: {mark: own}}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: plain}
        spec: {upstream: u, disableGlobal: [gb]}
        """);
    FilterChain onA = chains.chain("r", "a");
    assertThat(onA.describe()).containsExactly("Route/r spec.filters[0] (test-mark)");
    assertThat(chains.chain("r", "b").describe()).containsExactly(
        "GlobalFilter/only-b spec.before[0] (gb)", "Route/r spec.filters[0] (test-mark)");
    assertThat(chains.chain("r", "a")).isSameAs(onA);
    assertThat(chains.chain("plain", "a")).isNull();
    assertThat(chains.chain("plain", "b")).isNull();
  }

  @Test
  void aJumpToALeftOutFilterLandsOnTheNextOneKept() throws Exception {
    FilterChains chains = compile("""
        apiVersion: sluice.io/v1
        kind: GlobalFilter
        metadata: {name: g}
        spec:
          before:
            - {kind: test-result, name: first, config: {result: go}, onResult: {go: second}}
            - {kind: test-mark, name: second, config: {mark: second}}
            - {kind: test-mark, name: third, config: {mark: third}}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec: {upstream: u, disableGlobal: [second]}
        """);
    FilterChain c = chains.chain("r", "a");
    assertThat(c.describe()).containsExactly("GlobalFilter/g spec.before[0] (first)", "GlobalFilter/g spec.before[2] (third)");
    assertThat(c.hasResponsePhase()).isTrue();
    assertThat(c.bodyLimit()).isZero();
  }

  @Test
  void aChainThatBuffersAndStreamsTheSameBodyIsRefusedNamingBothFilters() {
    assertThatThrownBy(() -> compile("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          upstream: u
          filters:
            - {kind: test-response-body, config: {limit: 16}}
            - {kind: test-stream, config: {mode: count, response: true}}
        """).chain("r", "a")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Route/r spec.filters[0] (test-response-body) buffers the response body and "
            + "Route/r spec.filters[1] (test-stream) streams it; a route's filters either buffer a body or stream it");
  }

  @Test
  void aChainThatOnlyStreamsSaysSoAndOneWithoutStreamingFiltersDoesNot() throws Exception {
    FilterChains chains = compile("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: s}
        spec:
          upstream: u
          filters: [{kind: test-stream, config: {mode: count, request: true}}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: m}
        spec:
          upstream: u
          filters: [{kind: test-mark, config: {mark: m}}]
        """);
    assertThat(chains.chain("s", "a").streamsRequestBody()).isTrue();
    assertThat(chains.chain("s", "a").streamsResponseBody()).isFalse();
    assertThat(chains.chain("m", "a").streamsRequestBody()).isFalse();
  }
}
