package io.sluice.store;

import io.sluice.api.ConfigObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A config canary as the store keeps it while it runs ({@link Canaries}): a change set that only the
 * selected data-plane nodes serve, on top of the store's revision {@link #baseRevision}, until it is
 * promoted (committed as the store's next revision) or aborted (dropped).
 *
 * @param id names this canary in status, history and the promote/abort requests ({@code c-20261207T150102Z-1a2b})
 * @param baseRevision the store revision the candidate was checked against; the rest of the fleet serves it
 * @param objects the candidate: the objects the canary puts (a canary creates and changes objects; it deletes none)
 * @param selector what the operator asked for, as given: a label selector ({@code zone=a}) or a percentage ({@code 10%})
 * @param nodes the data-plane nodes the selector resolved to when the canary started, sorted; fixed for its life
 * @param author who started it
 * @param message why, as given; recorded with the promoted revision
 * @param startedAt when it started
 * @param autoAbort when the leader aborts it by itself
 * @param change the change request published as this canary (README "Review changes"); 0 for a canary applied directly
 */
public record Canary(String id, long baseRevision, List<ConfigObject<?>> objects, String selector, List<String> nodes, String author,
    String message, Instant startedAt, AutoAbort autoAbort, long change) {
  private static final Pattern ID = Pattern.compile("c-[A-Za-z0-9-]{1,64}");

  public Canary {
    Objects.requireNonNull(id, "id");
    if (!ID.matcher(id).matches()) throw new IllegalArgumentException("canary id '" + id + "': expected c- and letters, digits or '-'");
    if (baseRevision < 0) throw new IllegalArgumentException("baseRevision must be >= 0, got " + baseRevision);
    objects = List.copyOf(objects);
    if (objects.isEmpty()) throw new IllegalArgumentException("a canary needs at least one object");
    Objects.requireNonNull(selector, "selector");
    nodes = nodes.stream().sorted().toList();
    if (nodes.isEmpty()) throw new IllegalArgumentException("a canary needs at least one node");
    Objects.requireNonNull(author, "author");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(autoAbort, "autoAbort");
    if (change < 0) throw new IllegalArgumentException("change must be a change request's id or 0, got " + change);
  }

  /** Whether the canary is served by the node {@code id}. */
  public boolean selects(String nodeId) {
    return nodes.contains(nodeId);
  }

  /**
   * When the fleet's leader aborts a canary by itself: while the canary nodes' 5xx rate exceeds the
   * other data-plane nodes' by more than {@code errorRateMargin}, or their p99 latency exceeds the
   * others' by more than {@code p99Margin}, for {@code window} without a break, and the canary
   * nodes served at least {@code minRequests} requests in the nodes' traffic window.
   *
   * @param enabled false: only an operator ends the canary
   * @param errorRateMargin a share of requests, from 0 to 1 ({@code 0.05}: 5 percentage points)
   * @param p99Margin positive
   * @param window how long the canary must stay worse; positive
   * @param minRequests the fewest canary requests a verdict is made on; at least 1
   */
  public record AutoAbort(boolean enabled, double errorRateMargin, Duration p99Margin, Duration window, int minRequests) {
    /** On; 5 percentage points of 5xx, 250 ms of p99, for 30 s, over at least 20 requests. */
    public static final AutoAbort DEFAULTS = new AutoAbort(true, 0.05, Duration.ofMillis(250), Duration.ofSeconds(30), 20);

    public AutoAbort {
      if (!(errorRateMargin >= 0 && errorRateMargin <= 1)) {
        throw new IllegalArgumentException("errorRateMargin: expected a share from 0 to 1 (0.05 is 5%), got " + errorRateMargin);
      }
      Objects.requireNonNull(p99Margin, "p99Margin");
      if (p99Margin.isNegative() || p99Margin.isZero()) throw new IllegalArgumentException("p99Margin: expected a positive duration, got " + p99Margin);
      Objects.requireNonNull(window, "window");
      if (window.isNegative() || window.isZero()) throw new IllegalArgumentException("window: expected a positive duration, got " + window);
      if (minRequests < 1) throw new IllegalArgumentException("minRequests: expected at least 1, got " + minRequests);
    }
  }
}
