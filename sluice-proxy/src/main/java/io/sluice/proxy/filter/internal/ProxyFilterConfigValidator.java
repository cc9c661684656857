package io.sluice.proxy.filter.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.filter.FilterConfigValidator;
import java.util.List;
import java.util.SortedSet;
import org.jspecify.annotations.Nullable;

/**
 * The data plane's {@link FilterConfigValidator}, registered as a service so that
 * {@link io.sluice.api.validate.Validator} checks filter configs wherever it runs with the proxy on
 * the class path. Backed by {@link FilterRegistry#installed()}.
 */
public final class ProxyFilterConfigValidator implements FilterConfigValidator {
  @Override
  public SortedSet<String> kinds() {
    return FilterRegistry.installed().kinds();
  }

  @Override
  public void validate(String kind, @Nullable JsonNode config, Problems problems) {
    FilterRegistry.installed().validate(kind, config, problems);
  }

  @Override
  public List<Reference> references(String kind, @Nullable JsonNode config) {
    return FilterRegistry.installed().references(kind, config);
  }

  @Override
  public @Nullable Class<?> configType(String kind) {
    var f = FilterRegistry.installed().factory(kind);
    return f == null ? null : f.configType();
  }
}
