package io.sluice.server.fleet;

import io.sluice.store.Membership;
import io.sluice.store.NodeRecord;
import io.sluice.store.StoreException;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a data-plane node's admin API answers to a write: that it takes none, and where writes go
 * (the admin addresses of the control-plane and all-in-one nodes registered now), so an operator
 * who reached the wrong node knows the right one. Read from the membership for each refusal.
 */
public final class WriteRefusal implements Supplier<String> {
  private final Membership membership;
  private final String nodeId;

  public WriteRefusal(Membership membership, String nodeId) {
    this.membership = membership;
    this.nodeId = nodeId;
  }

  @Override
  public String get() {
    String refusal = "node " + nodeId + " is a data plane (--role data-plane) and takes no writes";
    List<String> writers;
    try {
      writers = membership.nodes().stream().filter(n -> !n.role().equals(Role.DATA_PLANE.flag()) && !n.address().isEmpty())
          .map(NodeRecord::address).map(a -> "http://" + a).toList();
    } catch (StoreException | IllegalStateException e) {
      return refusal + "; send them to a control-plane node (the fleet's nodes cannot be read now: " + e.getMessage() + ")";
    }
    if (writers.isEmpty()) return refusal + "; send them to a control-plane node (none is registered now)";
    return refusal + "; send them to " + (writers.size() == 1 ? "the control plane at " : "a control-plane node: ")
        + String.join(", ", writers);
  }
}
