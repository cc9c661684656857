package io.sluice.server.fleet;

import io.sluice.api.listener.NodeLabels;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Option;

/** {@code serve}'s options for its place in a fleet: {@code --role} and {@code --node-label}. */
public final class FleetFlags {
  @Option(names = "--role", paramLabel = "ROLE", defaultValue = "all",
      description = "all (default: admin API and listeners in one process), control-plane (admin API and writes, no"
          + " listeners) or data-plane (listeners only; follows the store, refuses writes); roles other than all need"
          + " --store etcd://...")
  String role = "all";

  @Option(names = "--node-label", paramLabel = "KEY=VALUE",
      description = "a label of this node (repeatable, such as --node-label zone=a): it binds only the listeners whose"
          + " spec.nodeSelector its labels match; listeners without one bind on every node that serves traffic")
  List<String> labels = List.of();

  /** What is wrong with the fleet options. */
  public static final class Invalid extends Exception {
    Invalid(String message) {
      super(message);
    }
  }

  /** The role given. @throws Invalid naming the value and the roles there are */
  public Role role() throws Invalid {
    try {
      return Role.parse(role);
    } catch (IllegalArgumentException e) {
      throw new Invalid(String.valueOf(e.getMessage()));
    }
  }

  /**
   * The labels given, by key.
   *
   * @throws Invalid naming the option, the value and what was expected (KEY=VALUE, Kubernetes label syntax, each key once)
   */
  public Map<String, String> labels() throws Invalid {
    Map<String, String> out = new TreeMap<>();
    for (String l : labels) {
      int eq = l.indexOf('=');
      if (eq < 0) throw new Invalid("--node-label '" + l + "': expected KEY=VALUE, such as zone=a");
      String key = l.substring(0, eq);
      String value = l.substring(eq + 1);
      String problem = NodeLabels.problemWithKey(key);
      if (problem == null) problem = NodeLabels.problemWithValue(value);
      if (problem != null) throw new Invalid("--node-label '" + l + "': " + problem);
      String before = out.put(key, value);
      if (before != null) throw new Invalid("--node-label " + key + " is given twice (" + key + "=" + before + ", " + l + "); expected each key once");
    }
    return Collections.unmodifiableMap(out);
  }
}
