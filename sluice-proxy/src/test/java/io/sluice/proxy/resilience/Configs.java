package io.sluice.proxy.resilience;

import io.sluice.proxy.testing.GatewayFixture;

/** YAML for the resilience and traffic-split tests: a listener named main plus the objects a test adds. */
final class Configs {
  private Configs() {}

  /** A listener {@code main} on a free port, followed by {@code objects} (YAML documents, separated by ---). */
  static String withListener(String objects) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        """.formatted(0) + objects;
  }

  /** An Upstream document; {@code spec} is the indented body of its spec (two spaces). */
  static String upstream(String name, String spec) {
    return """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: %s}
        spec:
        %s
        ---
        """.formatted(name, spec.stripTrailing());
  }

  /** A Route document; {@code spec} is the indented body of its spec (two spaces). */
  static String route(String name, String spec) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: %s}
        spec:
        %s
        ---
        """.formatted(name, spec.stripTrailing());
  }
}
