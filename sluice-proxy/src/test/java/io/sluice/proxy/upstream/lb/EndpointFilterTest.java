package io.sluice.proxy.upstream.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.upstream.LoadBalancer;
import io.sluice.api.upstream.LoadBalancer.HashOn;
import io.sluice.api.upstream.LoadBalancer.Policy;
import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every policy treats an endpoint excluded for one pick (a retry's tried endpoints) as unavailable. */
class EndpointFilterTest {
  private static List<Endpoint> endpoints() {
    return List.of(Endpoint.of("10.0.0.1:80", 1), Endpoint.of("10.0.0.2:80", 2), Endpoint.of("10.0.0.3:80", 3));
  }

  private static LoadBalancer spec(Policy p) {
    return new LoadBalancer(p, p == Policy.MAGLEV || p == Policy.RING_HASH ? HashOn.HEADER : null,
        p == Policy.HEADER_HASH || p == Policy.MAGLEV || p == Policy.RING_HASH ? "x-key" : null);
  }

  private static RequestView request(int i) {
    return new RequestView() {
      @Override public String method() { return "GET"; }
      @Override public String host() { return "h"; }
      @Override public String path() { return "/" + i; }
      @Override public @Nullable String query() { return null; }
      @Override public @Nullable String header(String name) { return name.equals("x-key") ? "key-" + i : null; }
      @Override public String clientIp() { return "10.1." + (i % 250) + "." + (i / 250 % 250); }
    };
  }

  @ParameterizedTest
  @EnumSource(Policy.class)
  void excludedEndpointIsNeverPickedAndTheOthersStillAre(Policy policy) {
    List<Endpoint> endpoints = endpoints();
    Endpoint excluded = endpoints.get(2);
    Balancer b = Balancers.create(spec(policy), endpoints);
    Set<Endpoint> seen = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      Endpoint e = b.pick(request(i), x -> x == excluded);
      assertThat(e).isNotNull().isNotSameAs(excluded);
      seen.add(e);
    }
    assertThat(seen).containsExactlyInAnyOrder(endpoints.get(0), endpoints.get(1));
  }

  @ParameterizedTest
  @EnumSource(Policy.class)
  void pickExcludingEveryAvailableEndpointReturnsNull(Policy policy) {
    List<Endpoint> endpoints = endpoints();
    endpoints.get(0).takeOut(Endpoint.HEALTH_CHECK);
    Balancer b = Balancers.create(spec(policy), endpoints);
    assertThat(b.pick(request(7), x -> x != endpoints.get(0))).isNull();
    assertThat(b.pick(request(7), null)).isNotNull().isNotSameAs(endpoints.get(0));
  }
}
