package io.sluice.store;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One node of a fleet as it registers itself ({@link Membership}): what {@code sluice get nodes} shows.
 *
 * @param id the node's name ({@code --node-id}); unique in the fleet: letters, digits, '.', '_' and '-'
 * @param address where its admin API answers ({@code 127.0.0.1:9901}): reads on every node, writes on
 *     the nodes whose role takes them
 * @param role {@code all}, {@code control-plane} or {@code data-plane}
 * @param version the Sluice version it runs
 * @param labels its node labels ({@code --node-label}), which listeners' {@code nodeSelector} match
 * @param appliedRevision the store revision its data plane serves (0 before the first)
 * @param lastApplyError the last revision it failed to apply and why, or null when none failed since it started
 * @param startedAt when it started; its uptime is counted from it
 * @param canary the config canary ({@code Canary#id}) its data plane serves on top of the applied revision, or null
 * @param traffic what its listeners served over the last few seconds, for the canary's comparison; null when not measured
 */
public record NodeRecord(String id, String address, String role, String version, Map<String, String> labels,
    long appliedRevision, @Nullable ApplyError lastApplyError, Instant startedAt, @Nullable String canary, @Nullable Traffic traffic) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  /**
   * @param revision the revision that failed (with the changes coalesced into it)
   * @param message why, naming the object
   * @param time when
   */
  public record ApplyError(long revision, String message, Instant time) {
    public ApplyError {
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(time, "time");
    }
  }

  /**
   * A node's traffic over a rolling window, from its own metrics (every listener together).
   *
   * @param window how far back it counts
   * @param requests requests answered in it
   * @param errors of those, answered with a 5xx status
   * @param p99 the 99th percentile of their latency (the upper bound of its metrics bucket); zero without requests
   */
  public record Traffic(java.time.Duration window, long requests, long errors, java.time.Duration p99) {
    public Traffic {
      Objects.requireNonNull(window, "window");
      Objects.requireNonNull(p99, "p99");
      if (requests < 0 || errors < 0 || errors > requests) {
        throw new IllegalArgumentException("expected 0 <= errors <= requests, got " + errors + " errors of " + requests);
      }
    }
  }

  /** A record of a node that serves no canary and reports no traffic. */
  public NodeRecord(String id, String address, String role, String version, Map<String, String> labels,
      long appliedRevision, @Nullable ApplyError lastApplyError, Instant startedAt) {
    this(id, address, role, version, labels, appliedRevision, lastApplyError, startedAt, null, null);
  }

  public NodeRecord {
    Objects.requireNonNull(id, "id");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("node id '" + id + "': expected 1 to 128 letters, digits, '.', '_' and '-'");
    }
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(version, "version");
    labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
    if (appliedRevision < 0) throw new IllegalArgumentException("appliedRevision must be >= 0, got " + appliedRevision);
    Objects.requireNonNull(startedAt, "startedAt");
  }

  /** Whether {@code id} can name a node. */
  public static boolean validId(String id) {
    return ID.matcher(id).matches();
  }
}
