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
 */
public record NodeRecord(String id, String address, String role, String version, Map<String, String> labels,
    long appliedRevision, @Nullable ApplyError lastApplyError, Instant startedAt) {
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
