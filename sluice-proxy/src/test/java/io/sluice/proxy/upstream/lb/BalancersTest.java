package io.sluice.proxy.upstream.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.upstream.LoadBalancer;
import io.sluice.api.upstream.LoadBalancer.HashOn;
import io.sluice.api.upstream.LoadBalancer.Policy;
import io.sluice.proxy.route.RequestView;
import io.sluice.proxy.upstream.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BalancersTest {
  private static final int KEYS = 10_000;

  // ---- round-robin, weighted-round-robin, random, least-request

  @Test
  void roundRobinTakesEachEndpointInTurnIgnoringWeights() {
    List<Endpoint> endpoints = endpoints(1, 5, 2);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.ROUND_ROBIN), endpoints);

    Endpoint previous = balancer.pick(request(0));
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3_000; i++) {
      Endpoint picked = balancer.pick(request(i));
      assertThat(picked).isSameAs(endpoints.get((endpoints.indexOf(previous) + 1) % endpoints.size()));
      counts.merge(picked, 1, Integer::sum);
      previous = picked;
    }

    assertThat(counts).containsOnlyKeys(endpoints).allSatisfy((endpoint, count) -> assertThat(count).isEqualTo(1_000));
  }

  @Test
  void weightedRoundRobinInterleavesWeightsFiveOneOneAsNginxDoes() {
    List<Endpoint> endpoints = endpoints(5, 1, 1);
    Endpoint a = endpoints.get(0);
    Endpoint b = endpoints.get(1);
    Endpoint c = endpoints.get(2);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.WEIGHTED_ROUND_ROBIN), endpoints);

    List<Endpoint> picks = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      picks.add(balancer.pick(request(i)));
    }

    assertThat(picks).containsExactly(a, a, b, a, c, a, a, a, a, b, a, c, a, a);
  }

  @Test
  void weightedRoundRobinGivesExactlyTheWeightedShareOver700Picks() {
    List<Endpoint> endpoints = endpoints(5, 1, 1);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.WEIGHTED_ROUND_ROBIN), endpoints);

    Map<Endpoint, Integer> counts = count(balancer, 700);

    assertThat(counts).containsExactlyInAnyOrderEntriesOf(
        Map.of(endpoints.get(0), 500, endpoints.get(1), 100, endpoints.get(2), 100));
  }

  @Test
  void randomPicksInProportionToWeight() {
    List<Endpoint> endpoints = endpoints(1, 2, 3, 4);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.RANDOM), endpoints);
    int picks = 200_000;

    Map<Endpoint, Integer> counts = count(balancer, picks);

    assertWithinFiveSigma(counts, endpoints, picks);
  }

  @Test
  void leastRequestAvoidsTheEndpointWithManyRequestsInFlight() {
    List<Endpoint> endpoints = endpoints(1, 1, 1);
    startRequests(endpoints.get(0), 50);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.LEAST_REQUEST), endpoints);

    Map<Endpoint, Integer> counts = count(balancer, 1_000);

    assertThat(counts).containsOnlyKeys(endpoints.get(1), endpoints.get(2));
  }

  @Test
  void leastRequestComparesRequestsInFlightPerUnitOfWeight() {
    List<Endpoint> endpoints = endpoints(10, 1);
    Endpoint heavy = endpoints.get(0);
    Endpoint light = endpoints.get(1);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.LEAST_REQUEST), endpoints);

    startRequests(heavy, 5);
    startRequests(light, 1);
    // (5 + 1) / 10 against (1 + 1) / 1: the heavy endpoint is the less loaded.
    assertThat(count(balancer, 100)).containsOnlyKeys(heavy);

    startRequests(heavy, 20);
    // (25 + 1) / 10 against (1 + 1) / 1: now the light one is.
    assertThat(count(balancer, 100)).containsOnlyKeys(light);
  }

  @Test
  void leastRequestKeepsRequestsInFlightInProportionToWeight() {
    List<Endpoint> endpoints = endpoints(1, 3);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.LEAST_REQUEST), endpoints);

    for (int i = 0; i < 1_000; i++) {
      balancer.pick(request(i)).requestStarted();
    }

    assertThat(endpoints.get(0).activeRequests()).isBetween(249, 251);
    assertThat(endpoints.get(1).activeRequests()).isBetween(749, 751);
  }

  @Test
  void leastRequestSpreadsEqualWeightsEvenlyWhenLoadIsEqual() {
    List<Endpoint> endpoints = endpoints(1, 1, 1, 1);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.LEAST_REQUEST), endpoints);
    int picks = 100_000;

    Map<Endpoint, Integer> counts = count(balancer, picks);

    assertWithinFiveSigma(counts, endpoints, picks);
  }

  @Test
  void leastRequestWithOneEndpointPicksItWhileAvailable() {
    Endpoint only = Endpoint.of("10.0.0.1:8080", 1);
    startRequests(only, 100);
    Balancer balancer = Balancers.create(LoadBalancer.of(Policy.LEAST_REQUEST), List.of(only));

    assertThat(balancer.pick(request(0))).isSameAs(only);
    only.setAvailable(false);
    assertThat(balancer.pick(request(0))).isNull();
  }

  // ---- the hashing policies

  /** Every way a key gets hashed: the policy, and the request property that carries the key. */
  enum Hashing {
    IP_HASH(LoadBalancer.of(Policy.IP_HASH), HashOn.CLIENT_IP),
    HEADER_HASH(new LoadBalancer(Policy.HEADER_HASH, null, "X-User"), HashOn.HEADER),
    RING_HASH_ON_CLIENT_IP(new LoadBalancer(Policy.RING_HASH, HashOn.CLIENT_IP, null), HashOn.CLIENT_IP),
    RING_HASH_ON_HEADER(new LoadBalancer(Policy.RING_HASH, HashOn.HEADER, "x-user"), HashOn.HEADER),
    MAGLEV_ON_PATH(new LoadBalancer(Policy.MAGLEV, HashOn.PATH, null), HashOn.PATH),
    MAGLEV_ON_CLIENT_IP(new LoadBalancer(Policy.MAGLEV, null, null), HashOn.CLIENT_IP);

    final LoadBalancer spec;
    final HashOn keyIn;

    Hashing(LoadBalancer spec, HashOn keyIn) {
      this.spec = spec;
      this.keyIn = keyIn;
    }

    boolean isRing() {
      return spec.policy() == Policy.RING_HASH;
    }

    Balancer create(List<Endpoint> endpoints) {
      return Balancers.create(spec, endpoints);
    }

    /** A request whose key is {@code key}; its other properties come from {@code noise}. */
    RequestView request(int key, int noise) {
      return new Request(
          keyIn == HashOn.CLIENT_IP ? ip(key) : ip(noise),
          keyIn == HashOn.PATH ? "/items/" + key : "/items/" + noise,
          keyIn == HashOn.HEADER ? Map.of("x-user", "user-" + key) : Map.of("x-user", "user-" + noise));
    }

    /** Where each of {@link #KEYS} keys goes. */
    Endpoint[] mapping(Balancer balancer) {
      Endpoint[] mapping = new Endpoint[KEYS];
      for (int key = 0; key < KEYS; key++) {
        mapping[key] = balancer.pick(request(key, 0));
      }
      return mapping;
    }
  }

  @ParameterizedTest
  @EnumSource(Hashing.class)
  void hashingSendsTheSameKeyToTheSameEndpointWhateverElseTheRequestCarries(Hashing hashing) {
    Balancer balancer = hashing.create(endpoints(1, 1, 1, 1));

    for (int key = 0; key < 1_000; key++) {
      Endpoint first = balancer.pick(hashing.request(key, 0));
      for (int noise = 1; noise <= 5; noise++) {
        assertThat(balancer.pick(hashing.request(key, noise))).as("key %d", key).isSameAs(first);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Hashing.class)
  void hashingMapsKeysAlikeOnEveryNodeWhateverTheOrderOfEndpoints(Hashing hashing) {
    List<Endpoint> endpoints = endpoints(1, 2, 1, 3, 1);
    List<Endpoint> reversed = new ArrayList<>(endpoints.reversed());

    assertThat(hashing.mapping(hashing.create(reversed))).containsExactly(hashing.mapping(hashing.create(endpoints)));
  }

  @ParameterizedTest
  @EnumSource(Hashing.class)
  void hashingGivesEachEndpointWithinThirtyPercentOfItsWeightedShareOfKeys(Hashing hashing) {
    List<Endpoint> endpoints = endpoints(1, 1, 2, 1);

    Map<Endpoint, Integer> counts = tally(hashing.mapping(hashing.create(endpoints)));

    for (Endpoint e : endpoints) {
      double fairShare = KEYS * e.weight() / 5.0;
      assertThat((double) counts.getOrDefault(e, 0)).as("keys on %s", e).isBetween(fairShare * 0.7, fairShare * 1.3);
    }
  }

  @ParameterizedTest
  @EnumSource(Hashing.class)
  void hashingMovesAboutAFifthOfKeysWhenAFifthEndpointIsAdded(Hashing hashing) {
    List<Endpoint> four = endpoints(1, 1, 1, 1);
    Endpoint added = Endpoint.of("10.0.0.5:8080", 1);
    List<Endpoint> five = new ArrayList<>(four);
    five.add(added);

    Endpoint[] before = hashing.mapping(hashing.create(four));
    Endpoint[] after = hashing.mapping(hashing.create(five));

    int moved = 0;
    for (int key = 0; key < KEYS; key++) {
      if (after[key] != before[key]) {
        moved++;
        if (hashing.isRing()) {
          assertThat(after[key]).as("key %d", key).isSameAs(added);
        }
      }
    }
    assertThat(moved).isBetween(KEYS / 10, KEYS * 3 / 10);
  }

  @ParameterizedTest
  @EnumSource(Hashing.class)
  void hashingRemapsOnlyTheKeysOfARemovedEndpoint(Hashing hashing) {
    List<Endpoint> five = endpoints(1, 1, 1, 1, 1);
    Endpoint removed = five.get(2);
    List<Endpoint> four = new ArrayList<>(five);
    four.remove(removed);

    Endpoint[] before = hashing.mapping(hashing.create(five));
    Endpoint[] after = hashing.mapping(hashing.create(four));

    int moved = 0;
    for (int key = 0; key < KEYS; key++) {
      if (before[key] == removed) {
        assertThat(after[key]).isIn(four);
      } else if (after[key] != before[key]) {
        moved++;
      }
    }
    if (hashing.isRing()) {
      assertThat(moved).as("keys moved off the endpoints that stayed").isZero();
    }
    assertThat(moved + tally(before).get(removed)).isLessThan(KEYS * 3 / 10);
  }

  @ParameterizedTest
  @EnumSource(Hashing.class)
  void hashingSpreadsTheKeysOfAnUnavailableEndpointOverTheOthersAndMovesThemBack(Hashing hashing) {
    List<Endpoint> endpoints = endpoints(1, 1, 1, 1);
    Endpoint down = endpoints.get(1);
    Balancer balancer = hashing.create(endpoints);
    Endpoint[] before = hashing.mapping(balancer);

    down.setAvailable(false);
    Endpoint[] during = hashing.mapping(balancer);
    Set<Endpoint> takenOverBy = new HashSet<>();
    for (int key = 0; key < KEYS; key++) {
      if (before[key] == down) {
        assertThat(during[key]).isNotNull().isNotSameAs(down);
        takenOverBy.add(during[key]);
      } else {
        assertThat(during[key]).as("key %d", key).isSameAs(before[key]);
      }
    }
    assertThat(takenOverBy).hasSize(3);

    down.setAvailable(true);
    assertThat(hashing.mapping(balancer)).containsExactly(before);
  }

  @ParameterizedTest
  @EnumSource(value = Hashing.class, names = {"HEADER_HASH", "RING_HASH_ON_HEADER"})
  void hashingAHeaderFallsBackToRoundRobinWhenTheHeaderIsMissing(Hashing hashing) {
    List<Endpoint> endpoints = endpoints(1, 1, 3);
    Balancer balancer = hashing.create(endpoints);
    RequestView withoutHeader = new Request(ip(1), "/", Map.of());

    Endpoint previous = balancer.pick(withoutHeader);
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      Endpoint picked = balancer.pick(withoutHeader);
      assertThat(picked).isSameAs(endpoints.get((endpoints.indexOf(previous) + 1) % endpoints.size()));
      counts.merge(picked, 1, Integer::sum);
      previous = picked;
    }
    assertThat(counts).containsOnlyKeys(endpoints).allSatisfy((endpoint, count) -> assertThat(count).isEqualTo(100));

    endpoints.get(0).setAvailable(false);
    assertThat(count(balancer, 100, i -> withoutHeader))
        .containsExactlyInAnyOrderEntriesOf(Map.of(endpoints.get(1), 50, endpoints.get(2), 50));
  }

  @Test
  void hashingAHeaderWithoutNamingItIsRefused() {
    assertThatThrownBy(() -> Balancers.create(LoadBalancer.of(Policy.HEADER_HASH), endpoints(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("loadBalancer.hashHeader is required with policy header-hash");
    assertThatThrownBy(() -> Balancers.create(new LoadBalancer(Policy.MAGLEV, HashOn.HEADER, " "), endpoints(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("loadBalancer.hashHeader is required with hashOn: header");
  }

  // ---- every policy

  @ParameterizedTest
  @EnumSource(Policy.class)
  void everyPolicySkipsUnavailableEndpoints(Policy policy) {
    List<Endpoint> endpoints = endpoints(1, 2, 3, 4);
    Endpoint down = endpoints.get(2);
    down.setAvailable(false);
    Balancer balancer = Balancers.create(new LoadBalancer(policy, null, "x-user"), endpoints);

    Map<Endpoint, Integer> counts = count(balancer, 2_000);

    assertThat(counts).containsOnlyKeys(endpoints.get(0), endpoints.get(1), endpoints.get(3));
  }

  @ParameterizedTest
  @EnumSource(Policy.class)
  void everyPolicyReturnsNullWhileNoEndpointIsAvailable(Policy policy) {
    List<Endpoint> endpoints = endpoints(1, 2, 3);
    endpoints.forEach(e -> e.setAvailable(false));
    Balancer balancer = Balancers.create(new LoadBalancer(policy, null, "x-user"), endpoints);

    for (int i = 0; i < 100; i++) {
      assertThat(balancer.pick(request(i))).isNull();
    }
    endpoints.get(1).setAvailable(true);
    assertThat(count(balancer, 100)).containsOnlyKeys(endpoints.get(1));
  }

  @ParameterizedTest
  @EnumSource(Policy.class)
  void everyPolicyReturnsNullWithoutEndpoints(Policy policy) {
    Balancer balancer = Balancers.create(new LoadBalancer(policy, null, "x-user"), List.of());

    assertThat(balancer.pick(request(0))).isNull();
  }

  // ---- helpers

  /** A mutable list of endpoints 10.0.0.1:8080, 10.0.0.2:8080, … with these weights. */
  private static List<Endpoint> endpoints(int... weights) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      endpoints.add(Endpoint.of("10.0.0." + (i + 1) + ":8080", weights[i]));
    }
    return endpoints;
  }

  private static void startRequests(Endpoint endpoint, int count) {
    for (int i = 0; i < count; i++) {
      endpoint.requestStarted();
    }
  }

  private static String ip(int n) {
    return "172." + (16 + (n >>> 16 & 15)) + "." + (n >>> 8 & 255) + "." + (n & 255);
  }

  /** Request {@code i}: client IP, path and {@code x-user} header all distinct per {@code i}. */
  private static RequestView request(int i) {
    return new Request(ip(i), "/items/" + i, Map.of("x-user", "user-" + i));
  }

  private static Map<Endpoint, Integer> count(Balancer balancer, int picks) {
    return count(balancer, picks, BalancersTest::request);
  }

  private static Map<Endpoint, Integer> count(Balancer balancer, int picks, IntFunction<RequestView> request) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      Endpoint picked = balancer.pick(request.apply(i));
      assertThat(picked).isNotNull();
      counts.merge(picked, 1, Integer::sum);
    }
    return counts;
  }

  private static Map<Endpoint, Integer> tally(Endpoint[] mapping) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (Endpoint e : mapping) {
      counts.merge(e, 1, Integer::sum);
    }
    return counts;
  }

  /**
   * Each endpoint's count is within five binomial standard deviations of its weighted share: a
   * correct balancer fails this about once in 1.7 million runs per endpoint, while one ignoring
   * weights is off by dozens of deviations.
   */
  private static void assertWithinFiveSigma(Map<Endpoint, Integer> counts, List<Endpoint> endpoints, int picks) {
    double total = endpoints.stream().mapToInt(Endpoint::weight).sum();
    for (Endpoint e : endpoints) {
      double p = e.weight() / total;
      double expected = picks * p;
      double sigma = Math.sqrt(picks * p * (1 - p));
      assertThat((double) counts.getOrDefault(e, 0))
          .as("picks of %s", e)
          .isBetween(expected - 5 * sigma, expected + 5 * sigma);
    }
  }

  private record Request(String clientIp, String path, Map<String, String> headers) implements RequestView {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String host() {
      return "example.com";
    }

    @Override
    public @Nullable String query() {
      return null;
    }

    @Override
    public @Nullable String header(String lowerCaseName) {
      return headers.get(lowerCaseName);
    }
  }
}
