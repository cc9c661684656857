package io.sluice.api.validate;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.plugin.PluginSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The checks of Plugin objects, for {@link Validator}: the fields are well-formed, then the filter
 * validator loads the jars ({@link FilterConfigValidator#withPlugins}) and the result knows their
 * filter kinds. Stateless.
 */
final class PluginChecks {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Pattern KIND = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private PluginChecks() {}

  /**
   * Checks the fields of every Plugin in {@code objects}, then has {@code filters} load those that
   * are well-formed; every problem goes to {@code errors} naming the Plugin and the field.
   *
   * @return {@code filters} with the kinds of the Plugins that loaded, or null when {@code filters} is null
   */
  static @Nullable FilterConfigValidator load(List<ConfigError> errors, Iterable<? extends ConfigObject<?>> objects,
      @Nullable FilterConfigValidator filters) {
    List<ConfigObject<PluginSpec>> sound = new ArrayList<>();
    for (ConfigObject<?> o : objects) {
      if (o.kind() != Kind.PLUGIN) continue;
      @SuppressWarnings("unchecked")
      ConfigObject<PluginSpec> p = (ConfigObject<PluginSpec>) o;
      if (fields(errors, p)) sound.add(p);
    }
    if (filters == null || sound.isEmpty()) return filters;
    return filters.withPlugins(sound, (p, field, message) -> error(errors, p, field, message));
  }

  private static boolean fields(List<ConfigError> errors, ConfigObject<PluginSpec> p) {
    int before = errors.size();
    String jar = p.spec().jar();
    if (jar == null || jar.isBlank()) {
      error(errors, p, "spec.jar", "missing; expected the path of the plugin's .jar file");
    } else if (jar.indexOf('\0') >= 0) {
      error(errors, p, "spec.jar", "contains a NUL character; expected a file path");
    }
    String sha = p.spec().sha256();
    if (sha == null || !SHA256.matcher(sha).matches()) {
      error(errors, p, "spec.sha256", (sha == null ? "missing" : "'" + sha + "' is not a SHA-256")
          + "; expected the jar's 64 hex digits, as sha256sum prints them");
    }
    for (String kind : p.spec().config().keySet()) {
      if (!KIND.matcher(kind).matches()) {
        error(errors, p, "spec.config." + kind, "'" + kind + "' is not a filter kind; expected the kind a factory of "
            + "the plugin declares (lower-case letters, digits and '-'), without the plugin's name");
      } else if (!p.spec().config().get(kind).isObject()) {
        error(errors, p, "spec.config." + kind, "expected an object of the filter's config fields");
      }
    }
    return errors.size() == before;
  }

  private static void error(List<ConfigError> errors, ConfigObject<?> o, String field, String message) {
    errors.add(new ConfigError(o.sourceOf(field), o.ref(), field, message));
  }
}
