package io.sluice.api.filter;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import io.sluice.api.plugin.PluginSpec;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.SortedSet;
import org.jspecify.annotations.Nullable;

/**
 * Checks the {@code config} of filters, which only the code of each filter kind understands.
 * {@code sluice-api} knows no filter kinds: the data plane ({@code sluice-proxy}) provides the
 * implementation, backed by the filter factories it discovers, as a {@link ServiceLoader} service.
 * {@link io.sluice.api.validate.Validator} uses {@link #installed()}, so every place that validates a
 * configuration ({@code sluice validate}, the config directory, the store's apply, the admin API)
 * refuses a bad filter config with the same message, as soon as the proxy is on the class path.
 *
 * <p>Implementations are thread-safe and stateless as seen from the caller.
 */
public interface FilterConfigValidator {
  /** A problem with one field of a filter's config. */
  @FunctionalInterface
  interface Problems {
    /**
     * @param field the path inside the config, as written: {@code allowOrigins[0]},
     *     {@code response.set.x-id}; empty for the config as a whole
     * @param message what was found and what was expected
     */
    void add(String field, String message);
  }

  /**
   * An object the config refers to by name, such as a Consumer.
   *
   * @param field the path inside the config where the name is written, e.g. {@code consumers[1]}
   */
  record Reference(String field, ObjectRef target) {}

  /** The known kinds, sorted: listed in the message about an unknown kind. */
  SortedSet<String> kinds();

  /**
   * Checks the config of a filter of a known kind ({@link #kinds()}): that it binds to the kind's
   * config record (types, unknown fields) and that its values make sense together.
   *
   * @param config the config as written, or null when it was left out
   */
  void validate(String kind, @Nullable JsonNode config, Problems problems);

  /**
   * The objects a config refers to by name, so that they must exist and cannot be deleted while
   * referred to. Only called with a config that {@link #validate} accepted; never throws.
   */
  default List<Reference> references(String kind, @Nullable JsonNode config) {
    return List.of();
  }

  /**
   * The configuration's objects, by kind and name, as a config is validated against those it
   * refers to ({@link #validateReferenced}).
   */
  @FunctionalInterface
  interface ReferencedObjects {
    /**
     * The object {@code ref} names, or null when the configuration has none or it could not be
     * read (its own errors are reported with it); the caller then has nothing to check against.
     */
    @Nullable ConfigObject<?> get(ObjectRef ref);
  }

  /**
   * Checks a config against the objects it refers to: what only their content can tell (the key a
   * filter reads from a Secret is there, the bytes in it are what the filter needs). Only called
   * with a config that {@link #validate} accepted and whose {@link #references} all exist; reports
   * with the same field paths as {@link #validate}. The default checks nothing.
   */
  default void validateReferenced(String kind, @Nullable JsonNode config, ReferencedObjects objects, Problems problems) {}

  /**
   * The record (or other type) a known kind's {@code config} binds to, or null for an unknown kind.
   * {@link io.sluice.api.codec.Redaction} reads the {@link io.sluice.api.Credential} components of
   * it to hide a config's secrets from those who may only read the configuration.
   */
  default @Nullable Class<?> configType(String kind) {
    return null;
  }

  /** A problem with a Plugin object: its jar cannot be loaded, or what it provides is refused. */
  @FunctionalInterface
  interface PluginProblems {
    /**
     * @param plugin the Plugin
     * @param field the field of the object, e.g. {@code spec.sha256}
     * @param message what was found and what was expected
     */
    void add(ConfigObject<PluginSpec> plugin, String field, String message);
  }

  /**
   * This validator with the filter kinds of {@code plugins} added, each as {@code <plugin>/<kind>}:
   * what a configuration holding these Plugins allows. A Plugin that cannot be loaded (file, hash,
   * no factory, a factory that fails) is reported to {@code problems} and adds no kinds. Loading
   * reads and hashes the jar and may take time: call it off the event loops. The default knows no
   * plugins and returns this validator.
   *
   * @param plugins Plugins whose fields are well-formed (a jar path and a SHA-256 are given)
   */
  default FilterConfigValidator withPlugins(List<ConfigObject<PluginSpec>> plugins, PluginProblems problems) {
    return this;
  }

  /**
   * The implementation on the class path, or null when there is none (only {@code sluice-api}, or
   * tools that do not include the data plane): then filter kinds and configs are not checked.
   *
   * @throws IllegalStateException when more than one implementation is installed
   */
  static @Nullable FilterConfigValidator installed() {
    return Installed.VALIDATOR;
  }

  /** Discovered once, on first use. */
  final class Installed {
    private static final @Nullable FilterConfigValidator VALIDATOR = load();

    private Installed() {}

    private static @Nullable FilterConfigValidator load() {
      Iterator<FilterConfigValidator> it =
          ServiceLoader.load(FilterConfigValidator.class, FilterConfigValidator.class.getClassLoader()).iterator();
      if (!it.hasNext()) return null;
      FilterConfigValidator first = it.next();
      if (it.hasNext()) {
        throw new IllegalStateException("more than one FilterConfigValidator is installed: "
            + first.getClass().getName() + " and " + it.next().getClass().getName());
      }
      return first;
    }
  }
}
