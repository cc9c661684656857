package io.sluice.filter;

import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import java.util.List;

/**
 * Makes filters of one kind; discovered with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/io.sluice.filter.FilterFactory}. It needs a public no-argument
 * constructor and must be thread-safe (one instance serves every configuration).
 *
 * <p>A filter's {@code config} is bound to {@link #configType()} (a record, usually) exactly as object
 * specs are: strictly (an unknown field or a wrong type is an error naming the field), durations as
 * {@code 5s}, sizes as {@code 16KiB}; a config left out binds as {@code {}}. Then {@link #validate}
 * checks what binding cannot; then, only for a valid config, {@link #create} makes the filter. Both
 * run when a configuration is validated or applied, never per request.
 *
 * @param <C> the config type
 */
public interface FilterFactory<C> {
  /**
   * The kind name configs use ({@code kind: cors}): lower-case letters, digits and {@code -};
   * unique among the installed factories.
   */
  String kind();

  /**
   * The type the {@code config} binds to. Mark its credential components (shared secrets, keys)
   * with {@link io.sluice.api.Credential}: the admin API then shows them to editors only.
   */
  Class<C> configType();

  /**
   * Checks a bound config beyond its types: ranges, combinations, patterns that must compile.
   * Report each problem with the field's path inside the config ({@code allowOrigins[0]},
   * {@code request.set.x-id}, or empty for the config as a whole); the path is prefixed with the
   * filter's place ({@code spec.filters[2].config.}) in the error the operator sees.
   */
  default void validate(C config, Problems problems) {}

  /**
   * Objects a valid config refers to by name (Consumers; the Upstreams the filter calls through
   * {@link Exchange#upstreams()}), which must exist and cannot be deleted while referred to; an
   * unknown one is refused at validation with the reference's field.
   */
  default List<Reference> references(C config) {
    return List.of();
  }

  /**
   * Checks a valid config against the objects its {@link #references} name, once they are known to
   * exist: what only their content can tell, such as a Secret's key that holds the bytes the filter
   * loads. Report problems with the field's path inside the config, as {@link #validate} does. The
   * configuration being validated is not in force yet: read {@code objects}, not
   * {@link FilterEnvironment#config()}. Runs when a configuration is validated, never per request.
   */
  default void validateReferenced(C config, FilterConfigValidator.ReferencedObjects objects, Problems problems) {}

  /**
   * Creates the filter for one place in the configuration, when the configuration is applied (off
   * the event loops; this may take time: compile patterns, build lookup tables, pre-build responses).
   *
   * @param config a config that {@link #validate} accepted
   * @throws RuntimeException when it cannot be created; the configuration is then not applied
   */
  Filter create(C config, FilterEnvironment environment);
}
