package io.sluice.proxy.route.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class StringMapTest {

  @Test
  void withChangesPutsAndRemovesAndLeavesTheOriginalAsItWas() {
    StringMap<Integer> map = StringMap.of(Map.of("a", 1, "b", 2));
    Map<String, Integer> changes = new HashMap<>();
    changes.put("a", 10);
    changes.put("b", null);
    changes.put("c", 3);
    changes.put("absent", null);

    StringMap<Integer> changed = map.withChanges(changes);

    assertThat(changed.get("a")).isEqualTo(10);
    assertThat(changed.get("b")).isNull();
    assertThat(changed.get("c")).isEqualTo(3);
    assertThat(changed.size()).isEqualTo(2);
    assertThat(map.get("a")).isEqualTo(1);
    assertThat(map.get("b")).isEqualTo(2);
    assertThat(map.get("c")).isNull();
    assertThat(map.size()).isEqualTo(2);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void batchThatAddsAsManyKeysAsItRemovesFitsInASmallTable() {
    // Capacity 2 with one key: were the put applied before the removal, the table would be full
    // while the removal probes it.
    StringMap<Integer> map = StringMap.of(Map.of("a", 1));
    Map<String, Integer> changes = new LinkedHashMap<>();
    changes.put("b", 2);
    changes.put("a", null);

    StringMap<Integer> changed = map.withChanges(changes);

    assertThat(changed.get("a")).isNull();
    assertThat(changed.get("b")).isEqualTo(2);
    assertThat(changed.size()).isEqualTo(1);
  }

  @Test
  void ofValuesKeysEachValue() {
    StringMap<String> map = StringMap.of(List.of("x1", "y2"), v -> v.substring(0, 1));

    assertThat(map.get("x")).isEqualTo("x1");
    assertThat(map.get("y")).isEqualTo("y2");
    assertThat(map.get("z")).isNull();
  }

  @Test
  void removingEveryKeyGivesTheEmptyMap() {
    StringMap<Integer> map = StringMap.of(Map.of("a", 1));
    Map<String, Integer> changes = new HashMap<>();
    changes.put("a", null);

    assertThat(map.withChanges(changes)).isSameAs(StringMap.empty());
  }

  /**
   * Single changes and small batches on small key sets (long probe runs that wrap around the
   * table's end; tables that a put would fill before a removal in the same batch), then batches that grow the map to thousands of keys and shrink it again, against a HashMap; old
   * versions must keep their entries.
   */
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void randomChangesAgreeWithAHashMap() {
    Random random = new Random(7);
    for (int round = 0; round < 30; round++) {
      int keySpace = round < 20 ? 4 + random.nextInt(60) : 5000;
      int batches = round < 20 ? 300 : 400;
      StringMap<Integer> map = StringMap.empty();
      Map<String, Integer> model = new HashMap<>();
      for (int batch = 0; batch < batches; batch++) {
        boolean growing = batch < batches / 2;
        Map<String, Integer> changes = new HashMap<>();
        // Single changes, then small batches on small tables (a removal and a put together), then large ones.
        int count = round < 10 ? 1 : round < 20 ? 1 + random.nextInt(4) : 1 + random.nextInt(60);
        for (int c = 0; c < count; c++) {
          String key = "host" + random.nextInt(keySpace) + ".example.com";
          changes.put(key, (growing ? random.nextInt(5) > 0 : random.nextInt(5) == 0) ? batch : null);
        }
        StringMap<Integer> before = map;
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
        assertThat(map.entries()).hasSize(model.size());
        for (int k = 0; k < keySpace; k += keySpace > 100 ? 7 : 1) {
          String key = "host" + k + ".example.com";
          assertThat(map.get(key)).as("%s after batch %d", key, batch).isEqualTo(model.get(key));
          assertThat(before.get(key)).isEqualTo(modelBefore.get(key));
        }
        for (String key : changes.keySet()) {
          assertThat(map.get(key)).isEqualTo(model.get(key));
        }
      }
    }
  }
}
