package io.sluice.api;

import java.util.List;
import java.util.stream.Collectors;

/** Configuration that was refused, with every error found (not just the first). */
public final class ConfigException extends Exception {
  private final List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
    if (errors.isEmpty()) throw new IllegalArgumentException("a ConfigException needs at least one error");
    this.errors = List.copyOf(errors);
  }

  public List<ConfigError> errors() {
    return errors;
  }
}
