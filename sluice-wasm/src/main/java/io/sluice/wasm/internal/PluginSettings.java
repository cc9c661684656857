package io.sluice.wasm.internal;

import java.util.Objects;
import java.util.Set;

/**
 * What every VM of one configured plugin shares: the module, its configuration strings and bounds,
 * the name logs give it ({@code Route/orders spec.filters[0]}), its shared data, its metrics, and the
 * Upstreams its {@code proxy_http_call} may name.
 */
public record PluginSettings(
    PluginModule module,
    String rootId,
    String configuration,
    String vmConfiguration,
    long cpuBudgetNanos,
    long maxMemoryBytes,
    String place,
    SharedData sharedData,
    PluginMetrics metrics,
    Set<String> upstreams) {
  public PluginSettings {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(rootId, "rootId");
    Objects.requireNonNull(configuration, "configuration");
    Objects.requireNonNull(vmConfiguration, "vmConfiguration");
    Objects.requireNonNull(place, "place");
    Objects.requireNonNull(sharedData, "sharedData");
    Objects.requireNonNull(metrics, "metrics");
    upstreams = Set.copyOf(upstreams);
    if (cpuBudgetNanos <= 0) throw new IllegalArgumentException("cpuBudgetNanos is " + cpuBudgetNanos + "; expected more than 0");
    if (maxMemoryBytes <= 0) throw new IllegalArgumentException("maxMemoryBytes is " + maxMemoryBytes + "; expected more than 0");
  }
}
