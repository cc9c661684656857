package io.sluice.server;

import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;

/**
 * A filter kind whose configs all validate but whose filters cannot be created: an object that only
 * the data plane refuses, as a filter with a bug or a resource it cannot get would be. Registered for
 * this module's tests through {@code META-INF/services}.
 */
public final class UncreatableFilter implements FilterFactory<UncreatableFilter.Config> {
  /** @param reason what {@link #create} fails with */
  public record Config(String reason) {}

  @Override
  public String kind() {
    return "test-uncreatable";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public Filter create(Config config, FilterEnvironment environment) {
    throw new IllegalStateException("cannot create: " + config.reason());
  }
}
