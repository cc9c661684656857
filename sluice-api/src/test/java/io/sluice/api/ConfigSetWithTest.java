package io.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.filter.FilterSpec;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ConfigSet#with} has exactly the outcome of {@link ConfigSet#of} over the resulting objects,
 * whichever way it validates. Filter configs are checked by {@link #FILTERS}, which passes for the
 * data plane's validator (sluice-api has none installed), so that filter configs can name objects.
 */
class ConfigSetWithTest {
  /** Knows {@code stamp} (needs a non-empty text) and {@code refer} (names a Route or a Consumer, which must exist). */
  private static final FilterConfigValidator FILTERS = new FilterConfigValidator() {
    @Override
    public SortedSet<String> kinds() {
      return new TreeSet<>(List.of("refer", "stamp"));
    }

    @Override
    public void validate(String kind, @Nullable JsonNode config, Problems problems) {
      if (kind.equals("stamp")) {
        if (config == null || config.path("text").asText().isEmpty()) problems.add("text", "missing; expected a text");
      } else if (config == null || config.size() != 1 || !(config.path("route").isTextual() || config.path("consumer").isTextual())) {
        problems.add("", "expected either route or consumer");
      }
    }

    @Override
    public List<Reference> references(String kind, @Nullable JsonNode config) {
      if (!kind.equals("refer") || config == null) return List.of();
      return config.has("route")
          ? List.of(new Reference("route", new ObjectRef(Kind.ROUTE, config.path("route").asText())))
          : List.of(new Reference("consumer", new ObjectRef(Kind.CONSUMER, config.path("consumer").asText())));
    }
  };

  /** Route/r5's filter names Route/r4; Route/r3 disables GlobalFilter/g's served-by. */
  private static final String BASE = """
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: u1}
      spec: {endpoints: [{address: 10.0.0.1:8080}]}
      ---
      apiVersion: sluice.io/v1
      kind: Upstream
      metadata: {name: u2}
      spec: {endpoints: [{address: 10.0.0.2:8080}]}
      ---
      apiVersion: sluice.io/v1
      kind: Consumer
      metadata: {name: alice}
      spec: {keyAuth: {key: alice-key-1}}
      ---
      apiVersion: sluice.io/v1
      kind: Pipeline
      metadata: {name: auth}
      spec: {filters: [{kind: stamp, name: p-stamp, config: {text: p}}]}
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: r1}
      spec: {match: {path: {prefix: /r1}}, upstream: u1}
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: r2}
      spec: {listeners: [public], match: {path: {prefix: /r2}}, upstream: u2, pipeline: auth}
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: r3}
      spec: {match: {path: {prefix: /r3}}, upstream: u1, filters: [{kind: refer, config: {consumer: alice}}], disableGlobal: [served-by]}
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: r4}
      spec: {match: {path: {exact: /r4}}, directResponse: {status: 204}}
      ---
      apiVersion: sluice.io/v1
      kind: Route
      metadata: {name: r5}
      spec: {match: {path: {exact: /r5}}, upstream: u1, filters: [{kind: refer, config: {route: r4}}]}
      ---
      apiVersion: sluice.io/v1
      kind: Listener
      metadata: {name: public}
      spec: {address: 127.0.0.1:8080}
      ---
      apiVersion: sluice.io/v1
      kind: Listener
      metadata: {name: admin}
      spec: {address: 127.0.0.1:8081}
      ---
      apiVersion: sluice.io/v1
      kind: GlobalFilter
      metadata: {name: g}
      spec: {listeners: [public], before: [{kind: stamp, name: served-by, config: {text: g}}]}
      """;

  private static ConfigSet base() throws ConfigException {
    return ConfigSet.of(ObjectCodec.readYaml("base.yaml", BASE), FILTERS);
  }

  private static List<ConfigObject<?>> read(String yaml) {
    try {
      return yaml.isEmpty() ? List.of() : ObjectCodec.readYaml("change.yaml", yaml);
    } catch (ConfigException e) {
      throw new AssertionError("the test's YAML does not decode: " + e.getMessage(), e);
    }
  }

  private static String route(String name, String spec) {
    return "apiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: " + name + "}\nspec: " + spec + "\n---\n";
  }

  private static ObjectRef ref(Kind kind, String name) {
    return new ObjectRef(kind, name);
  }

  /** What a set or its refusal shows: every list it offers, or the errors. */
  private record Outcome(List<List<? extends ConfigObject<?>>> lists, List<ConfigError> errors) {
    static Outcome of(ConfigSet s) {
      return new Outcome(List.of(s.all(), s.upstreams(), s.consumers(), s.pipelines(), s.routes(), s.listeners(),
          s.globalFilters()), List.of());
    }

    static Outcome of(ConfigException e) {
      return new Outcome(List.of(), e.errors());
    }

    List<String> errorsWithoutSource() {
      return errors.stream().map(e -> e.object() + ": " + e.field() + ": " + e.message()).toList();
    }
  }

  private static Outcome viaWith(ConfigSet set, List<ConfigObject<?>> puts, List<ObjectRef> deletes) {
    try {
      return Outcome.of(set.with(puts, deletes, FILTERS));
    } catch (ConfigException e) {
      return Outcome.of(e);
    }
  }

  /** What {@code with} promises to equal: {@code of} over the set's objects without those deleted or put, then the puts. */
  private static Outcome viaOf(ConfigSet set, List<ConfigObject<?>> puts, List<ObjectRef> deletes) {
    Set<ObjectRef> gone = new HashSet<>(deletes);
    for (ConfigObject<?> o : puts) gone.add(ObjectRef.of(o));
    List<ConfigObject<?>> objects = new ArrayList<>();
    for (ConfigObject<?> o : set.all()) {
      if (!gone.contains(ObjectRef.of(o))) objects.add(o);
    }
    objects.addAll(puts);
    try {
      return Outcome.of(ConfigSet.of(objects, FILTERS));
    } catch (ConfigException e) {
      return Outcome.of(e);
    }
  }

  static Stream<Arguments> changes() {
    String manyRoutes = IntStream.range(0, 70).mapToObj(i -> route("m" + i, "{match: {path: {prefix: /m" + i + "}}, upstream: u2}"))
        .reduce("", String::concat);
    return Stream.of(
        Arguments.of("a valid route put", route("r9", "{listeners: [admin], match: {path: {prefix: /r9}}, upstream: u2}"),
            List.of(), List.of()),
        Arguments.of("a route replaced by a valid one", route("r1", "{match: {path: {prefix: /one}}, upstream: u2}"),
            List.of(), List.of()),
        Arguments.of("invalid routes put: names first, then each route's other errors, in put order",
            route("ra", "{match: {path: {regex: '('}}, upstream: u1}") + route("Bad_Name", "{upstream: u1, priority: 1}"),
            List.of(), List.of(
                "Route/Bad_Name: metadata.name: invalid name 'Bad_Name': expected lower-case letters, digits, '-' and '.', "
                    + "starting and ending with a letter or digit",
                "Route/ra: spec.match.path.regex: invalid regular expression '(': Unclosed group")),
        Arguments.of("a route naming a missing listener, upstream and pipeline",
            route("rm", "{listeners: [public, nowhere], upstream: gone, pipeline: none}"), List.of(), List.of(
                "Route/rm: spec.listeners[1]: Listener 'nowhere' does not exist",
                "Route/rm: spec.upstream: Upstream 'gone' does not exist",
                "Route/rm: spec.pipeline: Pipeline 'none' does not exist")),
        Arguments.of("a route whose disableGlobal names no GlobalFilter's filter",
            route("rd", "{upstream: u1, disableGlobal: [served-by, nothing]}"), List.of(), List.of(
                "Route/rd: spec.disableGlobal[1]: no GlobalFilter has a filter named 'nothing'")),
        Arguments.of("a route whose filter configs name a missing consumer and a missing route",
            route("rf", "{upstream: u1, filters: [{kind: refer, config: {consumer: bob}}, {kind: refer, config: {route: ghost}}]}"),
            List.of(), List.of(
                "Route/rf: spec.filters[0].config.consumer: Consumer 'bob' does not exist",
                "Route/rf: spec.filters[1].config.route: Route 'ghost' does not exist")),
        Arguments.of("a route whose filter config names a route put with it",
            route("r10", "{upstream: u1, filters: [{kind: refer, config: {route: r11}}]}") + route("r11", "{upstream: u2}"),
            List.of(), List.of()),
        Arguments.of("a route whose filter config is invalid",
            route("rs", "{upstream: u1, filters: [{kind: stamp, config: {text: ''}}, {kind: refer}]}"), List.of(), List.of(
                "Route/rs: spec.filters[0].config.text: missing; expected a text",
                "Route/rs: spec.filters[1].config: expected either route or consumer")),
        Arguments.of("a route deleted", "", List.of(ref(Kind.ROUTE, "r1")), List.of()),
        Arguments.of("a route deleted that a filter config still names", "", List.of(ref(Kind.ROUTE, "r4")), List.of(
            "Route/r5: spec.filters[0].config.route: Route 'r4' does not exist")),
        Arguments.of("a route deleted together with the route whose filter config names it", "",
            List.of(ref(Kind.ROUTE, "r4"), ref(Kind.ROUTE, "r5")), List.of()),
        Arguments.of("a route put that no longer names the deleted route",
            route("r5", "{match: {path: {exact: /r5}}, upstream: u1}"), List.of(ref(Kind.ROUTE, "r4")), List.of()),
        Arguments.of("a route put and another deleted", route("r9", "{upstream: u1}"), List.of(ref(Kind.ROUTE, "r2")), List.of()),
        Arguments.of("a route deleted and put in one change", route("r1", "{upstream: u2}"), List.of(ref(Kind.ROUTE, "r1")),
            List.of()),
        Arguments.of("the same route put twice", route("r9", "{upstream: u1}") + route("r9", "{upstream: u2}"), List.of(),
            List.of("Route/r9: metadata.name: duplicate name: Route/r9 is also defined in change.yaml:1")),
        Arguments.of("deletes of objects the set does not hold", "", List.of(ref(Kind.ROUTE, "ghost"), ref(Kind.UPSTREAM, "ghost")),
            List.of()),
        Arguments.of("an upstream put (validated as a whole)", """
            apiVersion: sluice.io/v1
            kind: Upstream
            metadata: {name: u3}
            spec: {endpoints: [{address: 10.0.0.3:8080}]}
            """, List.of(), List.of()),
        Arguments.of("an upstream deleted that routes name (validated as a whole)", "", List.of(ref(Kind.UPSTREAM, "u1")), List.of(
            "Route/r1: spec.upstream: Upstream 'u1' does not exist",
            "Route/r3: spec.upstream: Upstream 'u1' does not exist",
            "Route/r5: spec.upstream: Upstream 'u1' does not exist")),
        Arguments.of("a listener put on a port another listener has, with a route (validated as a whole)",
            route("r9", "{upstream: gone}") + """
            apiVersion: sluice.io/v1
            kind: Listener
            metadata: {name: clash}
            spec: {address: 127.0.0.1:8080}
            """, List.of(), List.of(
                "Route/r9: spec.upstream: Upstream 'gone' does not exist",
                "Listener/clash: spec.address: port clash: 127.0.0.1:8080 overlaps Listener/public on 127.0.0.1:8080 (base.yaml:46)")),
        Arguments.of("more than 64 route puts", manyRoutes, List.of(ref(Kind.ROUTE, "r1")), List.of()),
        Arguments.of("more than 64 route puts, one of them invalid", manyRoutes + route("m70", "{upstream: gone}"), List.of(),
            List.of("Route/m70: spec.upstream: Upstream 'gone' does not exist")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("changes")
  void withHasTheOutcomeOfOfOverTheResultingObjects(String change, String puts, List<ObjectRef> deletes,
      List<String> errors) throws ConfigException {
    ConfigSet set = base();
    List<ConfigObject<?>> objects = read(puts);

    Outcome outcome = viaWith(set, objects, deletes);

    assertThat(outcome).isEqualTo(viaOf(set, objects, deletes));
    assertThat(outcome.errorsWithoutSource()).isEqualTo(errors);
  }

  @Test
  void untouchedObjectsKeepTheirIdentity() throws ConfigException {
    ConfigSet set = base();
    List<ConfigObject<?>> puts = read(route("r9", "{upstream: u1}") + route("r1", "{upstream: u2}"));

    ConfigSet next = set.with(puts, List.of(ref(Kind.ROUTE, "r2")), FILTERS);

    assertThat(next.all()).hasSameSizeAs(set.all());
    for (ConfigObject<?> o : next.all()) {
      if (o.name().equals("r9") || o.name().equals("r1")) {
        assertThat(o).isIn(puts);
      } else {
        assertThat(o).isSameAs(set.get(ObjectRef.of(o)));
      }
    }
  }

  @Test
  void aChangeOfNothingIsTheSameSet() throws ConfigException {
    ConfigSet set = base();

    assertThat(set.with(List.of(), List.of(), FILTERS)).isSameAs(set);
    assertThat(set.with(List.of(), List.of(ref(Kind.ROUTE, "ghost")), FILTERS)).isSameAs(set);
  }

  @Test
  void aRefusedChangeLeavesTheSetAsItWas() throws ConfigException {
    ConfigSet set = base();
    List<ConfigObject<?>> before = List.copyOf(set.all());

    assertThat(viaWith(set, read(route("r1", "{upstream: gone}")), List.of(ref(Kind.ROUTE, "r2"))).errors()).hasSize(1);

    assertThat(set.all()).isEqualTo(before);
    assertThat(set.routes()).extracting(ConfigObject::name).containsExactly("r1", "r2", "r3", "r4", "r5");
  }

  @Test
  void randomRouteChangesHaveTheOutcomeOfOf() throws ConfigException {
    long seed = 20_240_611L;
    Random random = new Random(seed);
    List<ConfigObject<?>> objects = new ArrayList<>(ObjectCodec.readYaml("base.yaml", BASE));
    for (int i = 0; i < 200; i++) objects.add(randomRoute(random, "r-" + i, "base", 200, true));
    ConfigSet set = ConfigSet.of(objects, FILTERS);
    int accepted = 0;
    int refused = 0;
    for (int round = 0; round < 400; round++) {
      int size = random.nextInt(10) == 0 ? 60 + random.nextInt(20) : 1 + random.nextInt(4);
      List<ConfigObject<?>> puts = new ArrayList<>();
      List<ObjectRef> deletes = new ArrayList<>();
      for (int c = 0; c < size; c++) {
        String name = "r-" + random.nextInt(260);
        if (random.nextInt(4) == 0) {
          deletes.add(ref(Kind.ROUTE, name));
        } else {
          puts.add(randomRoute(random, name, "round-" + round + ":" + c, 260, random.nextInt(3) > 0));
        }
      }

      Outcome outcome = viaWith(set, puts, deletes);

      assertThat(outcome).as("seed %d, round %d", seed, round).isEqualTo(viaOf(set, puts, deletes));
      if (outcome.errors().isEmpty()) {
        accepted++;
        set = set.with(puts, deletes, FILTERS);
      } else {
        refused++;
      }
    }
    assertThat(ConfigSet.of(set.all(), FILTERS).all()).isEqualTo(set.all());
    // Both outcomes are common enough for the comparison to mean something.
    assertThat(accepted).isGreaterThan(50);
    assertThat(refused).isGreaterThan(50);
  }

  /**
   * A route with some of: listeners, an upstream, a pipeline, filters naming routes or consumers,
   * disableGlobal; when not {@code valid}, each may name something missing or be malformed.
   */
  private static ConfigObject<RouteSpec> randomRoute(Random random, String name, String source, int routes, boolean valid) {
    boolean wrong = !valid && random.nextBoolean();
    List<String> listeners = switch (random.nextInt(4)) {
      case 0 -> List.of("public");
      case 1 -> List.of("public", "admin");
      default -> List.of();
    };
    String upstream = random.nextBoolean() ? "u1" : "u2";
    String pipeline = random.nextInt(5) == 0 ? "auth" : null;
    List<FilterSpec> filters = new ArrayList<>();
    if (random.nextInt(3) == 0) {
      filters.add(FilterSpec.of("refer", JsonNodeFactory.instance.objectNode().put("route", "r-" + random.nextInt(routes))));
    }
    if (random.nextInt(5) == 0) filters.add(FilterSpec.of("refer", JsonNodeFactory.instance.objectNode().put("consumer", "alice")));
    List<String> disableGlobal = random.nextInt(5) == 0 ? List.of("served-by") : List.of();
    String path = "/" + name;
    String objectName = name;
    if (wrong) {
      switch (random.nextInt(8)) {
        case 0 -> listeners = List.of("nowhere");
        case 1 -> upstream = "gone";
        case 2 -> pipeline = "none";
        case 3 -> filters.add(FilterSpec.of("refer", JsonNodeFactory.instance.objectNode().put("consumer", "bob")));
        case 4 -> filters.add(FilterSpec.of("stamp", JsonNodeFactory.instance.objectNode()));
        case 5 -> disableGlobal = List.of("nothing");
        case 6 -> path = "relative";
        default -> objectName = name.toUpperCase();
      }
    }
    RouteSpec spec = new RouteSpec(listeners, null, null, new RouteMatch(PathMatch.prefix(path), null, null, null), upstream,
        null, null, null, null, null, null, null, filters, pipeline, disableGlobal, null);
    return new ConfigObject<>(ConfigObject.API_VERSION, Kind.ROUTE, ObjectMeta.named(objectName), spec, source);
  }

  @Test
  void restampedHoldsObjectsInTheirNewFormAndKeepsTheOthers() throws ConfigException {
    ConfigSet set = base();
    ConfigObject<?> r1 = set.get(ref(Kind.ROUTE, "r1"));
    ConfigObject<?> stored = new ConfigObject<>(r1.apiVersion(), r1.kind(), r1.metadata().withRevision(12), r1.spec(),
        "store:Route/r1@12");

    ConfigSet restamped = set.restamped(List.of(stored));

    assertThat(restamped.get(ref(Kind.ROUTE, "r1"))).isSameAs(stored);
    List<ConfigObject<?>> expected = new ArrayList<>(set.all());
    expected.set(expected.indexOf(r1), stored);
    assertThat(restamped.all()).isEqualTo(expected);
    assertThat(restamped.routes()).extracting(ConfigObject::source).containsExactly("store:Route/r1@12", "base.yaml:26",
        "base.yaml:31", "base.yaml:36", "base.yaml:41");
    assertThat(set.get(ref(Kind.ROUTE, "r1"))).isSameAs(r1);
  }

  @Test
  void restampedRefusesAnObjectThatDiffersInMoreThanRevisionAndSource() throws ConfigException {
    ConfigSet set = base();
    ConfigObject<?> changed = read(route("r1", "{upstream: u2}")).getFirst();

    assertThatIllegalArgumentException().isThrownBy(() -> set.restamped(List.of(changed)))
        .withMessage("Route/r1 differs from the object in the set in more than revision and source");
  }

  @Test
  void restampedRefusesAnObjectTheSetDoesNotHold() throws ConfigException {
    ConfigSet set = base();
    ConfigObject<?> absent = read(route("r9", "{upstream: u2}")).getFirst();

    assertThatIllegalArgumentException().isThrownBy(() -> set.restamped(List.of(absent)))
        .withMessage("Route/r9 is not in the set");
  }
}
