package io.sluice.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.store.Applied;
import io.sluice.store.ChangeSet;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures what one change costs with 10,000 routes stored, and prints it (the numbers go to the
 * test's output file). Nothing here asserts a time: the machine decides those.
 */
class ApplyLatencyTest {
  private static final int ROUTES = 10_000;
  private static final int SAMPLES = 100;

  @TempDir
  Path dir;

  @Test
  void applyingOneRouteChangeWithTenThousandRoutesStored() throws Exception {
    long t0 = System.nanoTime();
    try (SqliteConfigStore store = SqliteConfigStore.open(dir)) {
      ChangeSet.Builder all = ChangeSet.builder().author("bench").put(ConfigObject.of(Kind.UPSTREAM, "echo",
          new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("127.0.0.1:9001")), null, null, null)));
      for (int i = 0; i < ROUTES; i++) all.put(route(i, 0));
      store.apply(all.build());
      long loaded = System.nanoTime();

      long[] apply = new long[SAMPLES];
      long[] validate = new long[SAMPLES];
      long[] dryRun = new long[SAMPLES];
      for (int round = 0; round < 2; round++) { // the first round warms up the JIT
        for (int s = 0; s < SAMPLES; s++) {
          int version = round * SAMPLES + s + 1;
          ChangeSet one = ChangeSet.builder().author("bench").put(route(s * 97 % ROUTES, version)).build();
          long a = System.nanoTime();
          Applied applied = store.apply(one);
          apply[s] = System.nanoTime() - a;
          assertThat(applied.changedAnything()).isTrue();

          List<ConfigObject<?>> objects = store.snapshot().objects();
          long v = System.nanoTime();
          ConfigSet.of(objects);
          validate[s] = System.nanoTime() - v;

          ChangeSet dry = ChangeSet.builder().put(route(s, version + 1_000)).build();
          long d = System.nanoTime();
          store.dryRun(dry);
          dryRun[s] = System.nanoTime() - d;
        }
      }
      assertThat(store.revision()).isEqualTo(1 + 2 * SAMPLES);
      assertThat(store.snapshot().objects()).hasSize(ROUTES + 1);
      System.out.printf("store with %d routes: initial apply of all of them %d ms%n", ROUTES, (loaded - t0) / 1_000_000);
      print("apply of one route change (validate the route against the set + commit with fsync)", apply);
      print("dryRun of one route change (validate the route against the set, no write)", dryRun);
      print("ConfigSet.of over the whole set, for comparison", validate);
    }
    long r = System.nanoTime();
    try (SqliteConfigStore reopened = SqliteConfigStore.open(dir)) {
      System.out.printf("reopen (decode %d objects) %d ms%n", reopened.snapshot().objects().size(), (System.nanoTime() - r) / 1_000_000);
    }
  }

  private static ConfigObject<RouteSpec> route(int i, int version) {
    String name = String.format("route-%05d", i);
    return new ConfigObject<>(ConfigObject.API_VERSION, Kind.ROUTE, ObjectMeta.named(name),
        new RouteSpec(null, List.of("api" + i % 50 + ".example.com"), version % 3,
            new RouteMatch(PathMatch.prefix("/" + name + "/v" + version), List.of("GET", "POST"), null, null),
            "echo", null, null), "<bench>");
  }

  private static void print(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf("%s: median %.2f ms, p90 %.2f ms, max %.2f ms (%d samples)%n", what,
        sorted[sorted.length / 2] / 1e6, sorted[sorted.length * 9 / 10] / 1e6, sorted[sorted.length - 1] / 1e6, sorted.length);
  }
}
