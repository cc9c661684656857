package io.sluice.proxy.route.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShardedMapTest {

  @Test
  void withChangesPutsAndRemovesAndLeavesTheOriginalAsItWas() {
    ShardedMap<String> map = ShardedMap.of(List.of("a1", "b2"), v -> v.substring(0, 1));
    Map<String, String> changes = new HashMap<>();
    changes.put("a", "a10");
    changes.put("b", null);
    changes.put("c", "c3");
    changes.put("absent", null);

    ShardedMap<String> changed = map.withChanges(changes);

    assertThat(changed.get("a")).isEqualTo("a10");
    assertThat(changed.get("b")).isNull();
    assertThat(changed.get("c")).isEqualTo("c3");
    assertThat(changed.size()).isEqualTo(2);
    assertThat(map.get("a")).isEqualTo("a1");
    assertThat(map.get("b")).isEqualTo("b2");
    assertThat(map.get("c")).isNull();
    assertThat(map.size()).isEqualTo(2);
  }

  /** Grows to thousands of keys and shrinks again in batches, so that it is resharded both ways. */
  @Test
  void randomBatchesAgreeWithAHashMapWhileGrowingAndShrinking() {
    Random random = new Random(7);
    ShardedMap<Integer> map = ShardedMap.empty();
    Map<String, Integer> model = new HashMap<>();
    for (int batch = 0; batch < 400; batch++) {
      boolean growing = batch < 200;
      Map<String, Integer> changes = new HashMap<>();
      for (int c = random.nextInt(60); c >= 0; c--) {
        String key = "route-" + random.nextInt(5000);
        changes.put(key, (growing ? random.nextInt(5) > 0 : random.nextInt(5) == 0) ? batch : null);
      }
      ShardedMap<Integer> before = map;
      Map<String, Integer> modelBefore = new HashMap<>(model);
      map = map.withChanges(changes);
      changes.forEach((k, v) -> {
        if (v == null) {
          model.remove(k);
        } else {
          model.put(k, v);
        }
      });

      assertThat(map.size()).isEqualTo(model.size());
      for (int k = 0; k < 5000; k += 7) {
        assertThat(map.get("route-" + k)).isEqualTo(model.get("route-" + k));
        assertThat(before.get("route-" + k)).isEqualTo(modelBefore.get("route-" + k));
      }
      for (String key : changes.keySet()) {
        assertThat(map.get(key)).isEqualTo(model.get(key));
      }
    }
  }
}
