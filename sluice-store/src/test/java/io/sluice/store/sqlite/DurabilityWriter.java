package io.sluice.store.sqlite;

import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.store.Applied;
import io.sluice.store.ChangeSet;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A child process for {@link SqliteConfigStoreTest}: applies change sets in a loop until it is killed,
 * each putting {@code Upstream/a} and {@code Upstream/b} with the label {@code round} set to the
 * same number, and prints each revision on stdout once {@code apply} has returned.
 */
public final class DurabilityWriter {
  public static void main(String[] args) throws Exception {
    SqliteConfigStore store = SqliteConfigStore.open(Path.of(args[0]));
    for (long round = 1; ; round++) {
      Applied a = store.apply(ChangeSet.builder().author("writer").message("round " + round)
          .put(upstream("a", round)).put(upstream("b", round)).build());
      System.out.println(a.revision());
      System.out.flush();
    }
  }

  static ConfigObject<UpstreamSpec> upstream(String name, long round) {
    return new ConfigObject<>(ConfigObject.API_VERSION, Kind.UPSTREAM,
        new ObjectMeta(name, Map.of("round", Long.toString(round)), Map.of()),
        new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("127.0.0.1:" + (1 + round % 60_000))), null, null, null), "<writer>");
  }
}
