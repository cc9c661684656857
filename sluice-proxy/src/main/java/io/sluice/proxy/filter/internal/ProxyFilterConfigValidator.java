package io.sluice.proxy.filter.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.ConfigObject;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.plugin.PluginSpec;
import java.util.List;
import java.util.SortedSet;
import org.jspecify.annotations.Nullable;

/**
 * The data plane's {@link FilterConfigValidator}, registered as a service so that
 * {@link io.sluice.api.validate.Validator} checks filter configs wherever it runs with the proxy on
 * the class path. Backed by {@link FilterRegistry#installed()}, and by the kinds of a
 * configuration's Plugins in the validators {@link #withPlugins} returns.
 */
public final class ProxyFilterConfigValidator implements FilterConfigValidator {
  private final @Nullable FilterRegistry registry;

  /** The installed filter kinds (the service's constructor). */
  public ProxyFilterConfigValidator() {
    this(null);
  }

  private ProxyFilterConfigValidator(@Nullable FilterRegistry registry) {
    this.registry = registry;
  }

  private FilterRegistry registry() {
    // Read lazily: the installed registry is discovered on first use, not when the service loads.
    return registry != null ? registry : FilterRegistry.installed();
  }

  @Override
  public SortedSet<String> kinds() {
    return registry().kinds();
  }

  @Override
  public void validate(String kind, @Nullable JsonNode config, Problems problems) {
    registry().validate(kind, config, problems);
  }

  @Override
  public List<Reference> references(String kind, @Nullable JsonNode config) {
    return registry().references(kind, config);
  }

  @Override
  public void validateReferenced(String kind, @Nullable JsonNode config, ReferencedObjects objects, Problems problems) {
    registry().validateReferenced(kind, config, objects, problems);
  }

  @Override
  public @Nullable Class<?> configType(String kind) {
    var f = registry().factory(kind);
    return f == null ? null : f.configType();
  }

  /** Loads the Plugins' jars ({@link PluginJars}): call off the event loops. */
  @Override
  public FilterConfigValidator withPlugins(List<ConfigObject<PluginSpec>> plugins, PluginProblems problems) {
    if (plugins.isEmpty()) return this;
    return new ProxyFilterConfigValidator(PluginJars.registry(registry(), plugins, problems));
  }
}
