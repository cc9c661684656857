package io.sluice.api.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Spec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A Java filter plugin: a jar built against {@code sluice-filter-api} whose
 * {@code META-INF/services/io.sluice.filter.FilterFactory} lists its filter factories. The gateway
 * loads it in a class loader of its own (which sees the filter SPI and the JDK, nothing else of
 * the gateway), and routes use its filters as {@code <plugin>/<kind>}: a Plugin {@code acme}
 * whose factory declares the kind {@code stamp} provides {@code kind: acme/stamp}.
 *
 * <pre>{@code
 * spec:
 *   jar: /opt/sluice/plugins/acme-1.2.jar
 *   sha256: 9f2c...41
 *   config:
 *     stamp: {header: x-acme}
 * }</pre>
 *
 * <p>A Plugin that routes use cannot be deleted; a new {@code sha256} (a new jar) is loaded in a
 * new class loader, new requests run its filters and requests in flight finish on the old ones.
 *
 * @param jar the plugin's jar: a regular file (not a link, not a device) of at most 64 MiB; required
 * @param sha256 the jar's SHA-256 as 64 hex digits, as sha256sum prints it; required: the jar is
 *     loaded only if its content has this hash, so the configuration pins the code that runs
 * @param config defaults of the plugin's filters' configs, by kind (without the plugin's name): a
 *     route's filter config is laid over them field by field (a field the route sets wins); default
 *     none
 */
public record PluginSpec(@Nullable String jar, @Nullable String sha256, Map<String, JsonNode> config) implements Spec {
  public PluginSpec {
    config = config == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(config));
  }
}
