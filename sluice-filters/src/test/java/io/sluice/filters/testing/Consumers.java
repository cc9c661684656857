package io.sluice.filters.testing;

/** Consumer objects for the authentication tests. */
public final class Consumers {
  private Consumers() {}

  /** A Consumer document with the given spec lines (YAML, unindented). */
  public static String consumer(String name, String specLines) {
    return """
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: %s}
        spec:
        %s
        ---
        """.formatted(name, specLines.indent(2).stripTrailing());
  }

  /** alice (key alice-key-0001, basic alice/wonderland) and bob (key bob-key-0002, basic bob/b0b:pw). */
  public static String aliceAndBob() {
    return consumer("alice", "keyAuth: {key: alice-key-0001}\nbasicAuth: {username: alice, password: wonderland}")
        + consumer("bob", "keyAuth: {key: bob-key-0002}\nbasicAuth: {username: bob, password: \"b0b:pw\"}");
  }
}
