package io.sluice.proxy.route.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RegionMapTest {

  @Test
  void getLooksUpARegionOfALargerString() {
    RegionMap<Integer> map = RegionMap.of(Map.of("api", 1, "v1", 2));

    assertThat(map.get("/api/v1", 1, 4)).isEqualTo(1);
    assertThat(map.get("/api/v1", 5, 7)).isEqualTo(2);
    assertThat(map.get("/api/v1", 1, 3)).isNull();
  }

  @Test
  void withAndWithoutLeaveTheOriginalAsItWas() {
    RegionMap<Integer> map = RegionMap.of(Map.of("a", 1, "b", 2));

    RegionMap<Integer> replaced = map.with("a", 10);
    RegionMap<Integer> added = map.with("c", 3);
    RegionMap<Integer> removed = map.without("b");

    assertThat(replaced.get("a")).isEqualTo(10);
    assertThat(added.get("c")).isEqualTo(3);
    assertThat(removed.get("b")).isNull();
    assertThat(removed.get("a")).isEqualTo(1);
    assertThat(map.get("a")).isEqualTo(1);
    assertThat(map.get("b")).isEqualTo(2);
    assertThat(map.get("c")).isNull();
  }

  @Test
  void removingTheLastKeyGivesTheEmptyMap() {
    RegionMap<Integer> map = RegionMap.<Integer>empty().with("a", 1);

    assertThat(map.isEmpty()).isFalse();
    assertThat(map.without("a").isEmpty()).isTrue();
    assertThat(map.without("absent")).isSameAs(map);
  }

  /** Random additions, replacements and removals against a HashMap; small key sets make long probe runs that wrap. */
  @Test
  void randomChangesAgreeWithAHashMap() {
    Random random = new Random(42);
    for (int round = 0; round < 50; round++) {
      RegionMap<Integer> map = RegionMap.empty();
      Map<String, Integer> model = new HashMap<>();
      int keySpace = 4 + random.nextInt(200);
      for (int op = 0; op < 600; op++) {
        String key = "k" + random.nextInt(keySpace);
        if (random.nextInt(3) == 0) {
          map = map.without(key);
          model.remove(key);
        } else {
          map = map.with(key, op);
          model.put(key, op);
        }
        assertThat(map.size()).isEqualTo(model.size());
        for (int k = 0; k < keySpace; k++) {
          String probe = "k" + k;
          assertThat(map.get(probe)).as("%s after op %d", probe, op).isEqualTo(model.get(probe));
        }
      }
      List<Integer> values = new ArrayList<>(map.values());
      values.sort(null);
      List<Integer> expected = new ArrayList<>(model.values());
      expected.sort(null);
      assertThat(values).isEqualTo(expected);
    }
  }
}
