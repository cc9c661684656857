package io.sluice.wasm.internal;

/**
 * A call into a plugin that did not complete: a trap, an exit, memory exhausted, the CPU budget
 * spent. The plugin's instance is unusable afterwards (its memory may be half-updated).
 */
public final class PluginFailure extends RuntimeException {
  private final String kind;

  PluginFailure(String kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  PluginFailure(String kind, String message) {
    super(message);
    this.kind = kind;
  }

  /** {@code trap}, {@code exit}, {@code cpu_budget}, {@code stack_overflow} or {@code host}: for logs. */
  public String kind() {
    return kind;
  }
}
