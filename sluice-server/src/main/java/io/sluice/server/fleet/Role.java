package io.sluice.server.fleet;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a {@code sluice serve} process does in a fleet ({@code --role}).
 *
 * <ul>
 *   <li>{@link #ALL}: everything in one process (the default, and the only role on the embedded store);
 *   <li>{@link #CONTROL_PLANE}: the admin API with writes and validation; binds no listener;
 *   <li>{@link #DATA_PLANE}: the listeners its labels select, following the store; its admin API
 *       serves reads, health, metrics and status, and refuses writes.
 * </ul>
 */
public enum Role {
  ALL("all"),
  CONTROL_PLANE("control-plane"),
  DATA_PLANE("data-plane");

  private final String flag;

  Role(String flag) {
    this.flag = flag;
  }

  /** As {@code --role} and {@code sluice get nodes} spell it. */
  public String flag() {
    return flag;
  }

  /** Whether this node binds listeners. */
  public boolean servesTraffic() {
    return this != CONTROL_PLANE;
  }

  /** Whether this node's admin API takes writes. */
  public boolean takesWrites() {
    return this != DATA_PLANE;
  }

  /**
   * The role {@code text} names.
   *
   * @throws IllegalArgumentException naming the value and the roles there are
   */
  public static Role parse(String text) {
    for (Role r : values()) {
      if (r.flag.equals(text.strip().toLowerCase(Locale.ROOT))) return r;
    }
    throw new IllegalArgumentException("--role '" + text + "': expected one of "
        + Arrays.stream(values()).map(Role::flag).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return flag;
  }
}
