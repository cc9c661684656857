package io.sluice.admin;

import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.store.Canary;
import io.sluice.store.CanaryOutcome;
import io.sluice.store.StoreConflictException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The fleet's config canary as the admin API drives it ({@code POST /api/v1/apply?canary=...},
 * {@code /api/v1/canary}, promote, abort): the server hands it in, as it does the route tester, so
 * that the admin API knows neither etcd nor the membership. Refusals that are the canary's own
 * (none running, one running, a selector that selects nothing) are {@link Refused}.
 *
 * <p>Thread-safe; every method may block on the store.
 */
public interface CanaryControl {
  /**
   * Starts a canary of {@code objects} on the data-plane nodes {@code selector} picks.
   *
   * @param selector {@code key=value[,key=value...]} (every label equal) or {@code N%} (1 to 99 percent of the data-plane
   *     nodes, at least one)
   * @param change the change request published as this canary, 0 for none
   * @throws ConfigException when the objects would make the configuration invalid
   * @throws StoreConflictException when a compare-and-set precondition of an object fails
   * @throws Refused when a canary runs, the selector is malformed or selects no node or every node, or nothing would change
   */
  Canary start(List<ConfigObject<?>> objects, String selector, Canary.AutoAbort autoAbort, String author, String message, long change)
      throws ConfigException, StoreConflictException;

  /** The running canary with both sides' numbers, and the latest that ended. */
  Status status();

  /**
   * Commits the running canary {@code id} as the store's next revision, so every node serves it.
   *
   * @throws Refused when {@code id} is not the running canary
   */
  CanaryOutcome promote(String id, String by) throws ConfigException, StoreConflictException;

  /**
   * Drops the running canary {@code id}: its nodes return to the store's revision.
   *
   * @throws Refused when {@code id} is not the running canary
   */
  CanaryOutcome abort(String id, String by, String reason);

  /** Aborts whatever canary runs (a forced write); null when none ran. */
  @Nullable CanaryOutcome abortForWrite(String by, String what);

  /** The canary running now, or null; one read of the store. */
  @Nullable Canary active();

  /**
   * @param canary the running canary, or null
   * @param comparison both sides' traffic, when one runs
   * @param history the canaries that ended, oldest first
   * @param controller the node that runs the canary controller (the leader of the nodes that take writes), or null
   *     when the answering node does not know
   */
  record Status(@Nullable Canary canary, @Nullable Comparison comparison, List<CanaryOutcome> history, @Nullable String controller) {
    public Status {
      history = List.copyOf(history);
    }
  }

  /**
   * The canary's nodes against the rest of the data-plane nodes, each side over the nodes' traffic window.
   *
   * @param verdict what the controller makes of it now ({@code healthy}, {@code too few requests}, or what is worse)
   * @param worseSince when the canary started to be worse by a margin without a break; null when it is not
   */
  record Comparison(Side canary, Side rest, String verdict, @Nullable Instant worseSince) {
    public Comparison {
      Objects.requireNonNull(canary, "canary");
      Objects.requireNonNull(rest, "rest");
      Objects.requireNonNull(verdict, "verdict");
    }
  }

  /**
   * One side of a {@link Comparison}.
   *
   * @param nodes its data-plane nodes that report traffic
   * @param requests requests in the window, all its nodes together
   * @param errors of those, 5xx
   * @param p99 the highest p99 of its nodes
   * @param window the traffic window the numbers cover
   */
  record Side(List<String> nodes, long requests, long errors, Duration p99, Duration window) {
    public Side {
      nodes = List.copyOf(nodes);
    }

    /** Errors per request, 0 without requests. */
    public double errorRate() {
      return requests == 0 ? 0 : (double) errors / requests;
    }
  }

  /** A canary request refused because of the canary's state or the fleet: the admin API answers {@link #status} with {@link #reason}. */
  final class Refused extends RuntimeException {
    /** How the admin API answers. */
    public enum Status { CONFLICT, NOT_FOUND, INVALID }

    private final Status status;
    private final String reason;

    /**
     * @param reason a code for programs ({@code canary_running}, {@code no_canary}, {@code no_fleet}, ...)
     * @param message for people: what is wrong and what to do
     */
    public Refused(Status status, String reason, String message) {
      super(message);
      this.status = Objects.requireNonNull(status, "status");
      this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Status status() {
      return status;
    }

    public String reason() {
      return reason;
    }
  }
}
