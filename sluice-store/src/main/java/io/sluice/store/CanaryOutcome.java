package io.sluice.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * How a canary ended, kept in the canary history ({@link Canaries#finished}).
 *
 * @param id the canary
 * @param selector as it was started
 * @param nodes the nodes that served it
 * @param baseRevision the store revision it was started on
 * @param state {@code promoted} or {@code aborted}
 * @param by who ended it: an admin token's name, or {@code canary-controller} for an automatic abort
 * @param reason why (an automatic abort states the measured numbers)
 * @param revision the store revision the fleet serves afterwards: the promoted revision, or the base
 * @param time when it ended
 */
public record CanaryOutcome(String id, String selector, List<String> nodes, long baseRevision, String state, String by, String reason,
    long revision, Instant time) {
  public static final String PROMOTED = "promoted";
  public static final String ABORTED = "aborted";

  public CanaryOutcome {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(selector, "selector");
    nodes = List.copyOf(nodes);
    if (!state.equals(PROMOTED) && !state.equals(ABORTED)) {
      throw new IllegalArgumentException("state: expected " + PROMOTED + " or " + ABORTED + ", got '" + state + "'");
    }
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(time, "time");
  }
}
