// Copied from docs/filters.md ("Writing a filter"): DocsExampleTest keeps that page's example honest.
package io.sluice.filter.testing;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.*;
import java.util.List;
import java.util.Set;

/** {@code kind: header-allow}: only requests whose header {@code name} has one of {@code values} pass. */
public final class HeaderAllowFactory implements FilterFactory<HeaderAllowFactory.Config> {
  /** Bound from {@code config:} strictly: unknown fields and wrong types are errors naming the field. */
  public record Config(String name, List<String> values) {
    public Config {
      values = values == null ? List.of() : List.copyOf(values);
    }
  }

  @Override public String kind() { return "header-allow"; }
  @Override public Class<Config> configType() { return Config.class; }

  /** Runs when the config is validated (sluice validate, the store, the admin API) and applied. */
  @Override public void validate(Config c, Problems problems) {
    if (c.name() == null) problems.add("name", "missing; expected a header name");
    for (int i = 0; i < c.values().size(); i++) {
      if (c.values().get(i).isBlank()) problems.add("values[" + i + "]", "empty; expected a value");
    }
  }

  /** Runs once per place the filter is configured, when the configuration is applied. */
  @Override public Filter create(Config c, FilterEnvironment env) {
    Set<String> allowed = Set.copyOf(c.values());
    String header = c.name();
    // Built once: returning it allocates nothing.
    FilterResult refused = FilterResult.respond("refused",
        LocalResponse.error(403, "header_not_allowed", header + " is not allowed"));
    return new Filter() {
      @Override public FilterResult onRequest(Exchange x) {
        String v = x.request().headers().get(header);
        return v != null && allowed.contains(v) ? FilterResult.CONTINUE : refused;
      }

      @Override public FilterResult onResponse(Exchange x) {
        x.response().headers().set("X-Checked-By", "header-allow");
        return FilterResult.CONTINUE;
      }
    };
  }
}
