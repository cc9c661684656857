package io.sluice.server.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.admin.CanaryControl;
import io.sluice.store.NodeRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeSelectionTest {
  private static NodeRecord node(String id, String role, Map<String, String> labels) {
    return new NodeRecord(id, "127.0.0.1:1", role, "dev", labels, 1, null, Instant.EPOCH);
  }

  private static List<NodeRecord> fleet(int dataPlanes) {
    List<NodeRecord> out = new ArrayList<>();
    out.add(node("cp", "control-plane", Map.of("zone", "a")));
    for (int i = 0; i < dataPlanes; i++) out.add(node("edge-" + i, "data-plane", Map.of("zone", i % 2 == 0 ? "a" : "b")));
    return out;
  }

  @Test
  void aLabelSelectorTakesTheDataPlaneNodesWithEveryLabelEqualAndNeverTheControlPlane() {
    assertThat(NodeSelection.resolve("zone=a", fleet(5))).containsExactly("edge-0", "edge-2", "edge-4");
    assertThat(NodeSelection.resolve("zone=b, zone=b", fleet(5))).containsExactly("edge-1", "edge-3");
  }

  @Test
  void aPercentageTakesAtLeastOneNodeRoundsUpAndGrowsFromTheSameNodes() {
    List<NodeRecord> fleet = fleet(10);
    List<String> ten = NodeSelection.resolve("10%", fleet);
    List<String> one = NodeSelection.resolve("1%", fleet);
    List<String> thirtyFive = NodeSelection.resolve("35%", fleet);
    assertThat(one).hasSize(1).isEqualTo(ten);
    assertThat(thirtyFive).hasSize(4).containsAll(ten);
    // Stable: the order of the membership list does not matter.
    List<NodeRecord> reversed = new ArrayList<>(fleet);
    java.util.Collections.reverse(reversed);
    assertThat(NodeSelection.resolve("35%", reversed)).isEqualTo(thirtyFive);
  }

  @Test
  void aSelectorThatIsMalformedOrSelectsNoneOrEveryNodeIsRefusedNamingIt() {
    assertThatThrownBy(() -> NodeSelection.resolve("zone", fleet(3))).isInstanceOf(CanaryControl.Refused.class)
        .hasMessage("canary selector 'zone': expected key=value[,key=value...] such as zone=a (every label equal), or a percentage such as 10%");
    assertThatThrownBy(() -> NodeSelection.resolve("100%", fleet(3))).hasMessage("canary selector '100%': expected a percentage from 1% to 99%");
    assertThatThrownBy(() -> NodeSelection.resolve("zone=c", fleet(2))).hasMessage("canary selector 'zone=c' selects none of the"
        + " data-plane nodes (edge-0 zone=a; edge-1 zone=b); nothing was started");
    assertThatThrownBy(() -> NodeSelection.resolve("99%", fleet(1))).hasMessage("canary selector '99%' selects every data-plane node"
        + " (edge-0): that is an apply, not a canary; apply without --canary, or select fewer nodes; nothing was started");
  }
}
