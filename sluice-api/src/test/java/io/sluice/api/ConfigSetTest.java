package io.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.route.DirectResponse;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigSetTest {
  private static ConfigObject<UpstreamSpec> upstream(String name) {
    return ConfigObject.of(Kind.UPSTREAM, name, new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("10.0.0.1:80")), null, null, null));
  }

  private static ConfigObject<RouteSpec> route(String name, String upstream) {
    return ConfigObject.of(Kind.ROUTE, name, new RouteSpec(null, null, null, null, upstream, null, null));
  }

  private static ConfigObject<ListenerSpec> listener(String name, int port) {
    return ConfigObject.of(Kind.LISTENER, name, new ListenerSpec("127.0.0.1:" + port, null, null));
  }

  @Test
  void sortsEachKindByNameAndAllInDependencyOrder() throws ConfigException {
    ConfigSet set = ConfigSet.of(List.of(listener("b", 81), route("z", "u2"), listener("a", 80), upstream("u2"),
        route("y", "u1"), upstream("u1")));

    assertThat(set.listeners()).extracting(ConfigObject::name).containsExactly("a", "b");
    assertThat(set.routes()).extracting(ConfigObject::name).containsExactly("y", "z");
    assertThat(set.upstreams()).extracting(ConfigObject::name).containsExactly("u1", "u2");
    assertThat(set.all()).extracting(ConfigObject::ref).containsExactly(
        "Upstream/u1", "Upstream/u2", "Route/y", "Route/z", "Listener/a", "Listener/b");
  }

  @Test
  void looksUpAnUpstreamByName() throws ConfigException {
    ConfigSet set = ConfigSet.of(List.of(upstream("orders"), route("r", "orders")));

    assertThat(set.upstream("orders")).isEqualTo(upstream("orders"));
    assertThat(set.upstream("billing")).isNull();
  }

  @Test
  void getFindsEveryObjectByKindAndName() throws ConfigException {
    ConfigSet set = ConfigSet.of(List.of(listener("b", 81), route("orders", "orders"), listener("a", 80), upstream("orders"),
        route("y", "orders"), upstream("u1")));

    for (ConfigObject<?> o : set.all()) assertThat(set.get(ObjectRef.of(o))).isSameAs(o);
  }

  @Test
  void getReturnsNullForANameNotHeldUnderThatKind() throws ConfigException {
    ConfigSet set = ConfigSet.of(List.of(listener("b", 81), route("orders", "orders"), upstream("orders")));

    assertThat(set.get(new ObjectRef(Kind.LISTENER, "orders"))).isNull();
    assertThat(set.get(new ObjectRef(Kind.ROUTE, "a"))).isNull();
    assertThat(set.get(new ObjectRef(Kind.ROUTE, "zzz"))).isNull();
    assertThat(set.get(new ObjectRef(Kind.GLOBAL_FILTER, "b"))).isNull();
    assertThat(set.get(new ObjectRef(Kind.UPSTREAM, "a"))).isNull();
    assertThat(ConfigSet.EMPTY.get(new ObjectRef(Kind.ROUTE, "orders"))).isNull();
  }

  @Test
  void listsOfASetCannotBeChanged() throws ConfigException {
    ConfigSet set = ConfigSet.of(List.of(upstream("orders"), route("r", "orders")));

    assertThatExceptionOfType(UnsupportedOperationException.class).isThrownBy(() -> set.routes().add(route("x", "orders")));
    assertThatExceptionOfType(UnsupportedOperationException.class).isThrownBy(() -> set.all().remove(0));
  }

  @Test
  void refusesAnInvalidSetWithEveryError() {
    assertThatExceptionOfType(ConfigException.class)
        .isThrownBy(() -> ConfigSet.of(List.of(route("r", "orders"), listener("a", 80), listener("b", 80))))
        .satisfies(e -> assertThat(e.errors()).extracting(ConfigError::toString).containsExactly(
            "<inline>: Route/r: spec.upstream: Upstream 'orders' does not exist",
            "<inline>: Listener/b: spec.address: port clash: 127.0.0.1:80 overlaps Listener/a on 127.0.0.1:80 (<inline>)"));
  }

  @Test
  void emptySetHasNothing() {
    assertThat(ConfigSet.EMPTY.all()).isEmpty();
    assertThat(ConfigSet.EMPTY.listeners()).isEmpty();
    assertThat(ConfigSet.EMPTY.upstream("x")).isNull();
    assertThat(ConfigSet.EMPTY.pipeline("x")).isNull();
  }

  @Test
  void acceptsADirectResponseRouteWithoutUpstreams() throws ConfigException {
    ConfigObject<RouteSpec> hello = ConfigObject.of(Kind.ROUTE, "hello",
        new RouteSpec(null, null, null, null, null, null, new DirectResponse(204, null, null, null)));

    assertThat(ConfigSet.of(List.of(hello)).routes()).containsExactly(hello);
  }
}
