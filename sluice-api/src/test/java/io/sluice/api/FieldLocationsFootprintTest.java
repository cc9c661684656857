package io.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.codec.ObjectCodec;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a decoded object keeps of where its fields were written: every configured object holds its
 * {@link FieldLocations} for as long as it is configured, so at 10,000 routes their size is a good
 * part of the gateway's heap (docs/benchmarks.md, "Footprint").
 */
class FieldLocationsFootprintTest {
  private static final int ROUTES = 10_000;

  @Test
  void tenThousandDecodedRoutesRetainUnderOneKibEach() throws Exception {
    StringBuilder yaml = new StringBuilder();
    for (int i = 0; i < ROUTES; i++) {
      // Routes as bench/config-churn.sh generates them: a host, a priority, a path prefix, an upstream.
      yaml.append("---\napiVersion: sluice.io/v1\nkind: Route\nmetadata: {name: r-").append(i)
          .append("}\nspec: {hosts: [h").append(i).append(".example.com], priority: 0, match: {path: {prefix: /p")
          .append(i).append("}}, upstream: backend}\n");
    }
    String text = yaml.toString();

    long before = heapUsedAfterFullGc();
    List<ConfigObject<?>> routes = ObjectCodec.readYaml("routes.yaml", text);
    long retained = heapUsedAfterFullGc() - before;

    assertThat(routes).hasSize(ROUTES);
    // The places are still there: the last route's path prefix, in the last document.
    String lastLine = text.substring(text.lastIndexOf("spec:"));
    assertThat(routes.get(ROUTES - 1).fields().sourceOf("spec.match.path.prefix"))
        .isEqualTo("routes.yaml:" + (5 * ROUTES) + ":" + (lastLine.indexOf("prefix") + 1));
    System.out.println("decoded routes retain " + retained / ROUTES + " bytes each");
    // 1,935 bytes each when every object kept a map of boxed positions under its own copies of its paths.
    assertThat(retained / ROUTES).as("bytes retained per decoded route").isLessThan(1024);
  }

  private static long heapUsedAfterFullGc() {
    // Two collections: the first may leave what finalization-like cleanups free for the second.
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
