package io.sluice.server;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.validate.PathPolicy;
import io.sluice.api.validate.Validator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The part of a stored configuration that validates, and why the rest does not. A store only holds
 * configurations that validated when they were written, but the rules may have tightened since (a
 * newer version, a filter kind no longer installed): the node must still serve everything else.
 *
 * @param config the objects that validate, with every object that refers to one that does not left out too
 * @param skipped each object left out, with its first error ({@code spec.timeouts.idle: ...})
 * @param invalid the objects left out, as stored, to try again with the next change
 */
record ValidPart(ConfigSet config, Map<ObjectRef, String> skipped, List<ConfigObject<?>> invalid) {
  /**
   * Leaves out every object that has an error, then those whose references no longer resolve, until
   * what is left validates. Costs a validation of the whole set per round; the rounds are as many as
   * references are deep (a Route, its Upstream), so call it only once {@link ConfigSet#of} refused.
   *
   * @throws ConfigException when an error names no object that could be left out (the set cannot be repaired)
   */
  static ValidPart of(Collection<? extends ConfigObject<?>> objects, PathPolicy paths) throws ConfigException {
    List<ConfigObject<?>> remaining = new ArrayList<>(objects);
    Map<ObjectRef, String> skipped = new TreeMap<>();
    List<ConfigObject<?>> invalid = new ArrayList<>();
    while (true) {
      List<ConfigError> errors = Validator.validate(remaining, Set.of(), FilterConfigValidator.installed(), paths);
      if (errors.isEmpty()) return new ValidPart(ConfigSet.of(remaining, paths), skipped, List.copyOf(invalid));
      Map<String, ConfigError> firstByObject = new HashMap<>();
      for (ConfigError e : errors) firstByObject.putIfAbsent(e.object(), e);
      int before = remaining.size();
      remaining.removeIf(o -> {
        ConfigError e = firstByObject.get(o.ref());
        if (e == null) return false;
        skipped.put(ObjectRef.of(o), (e.field().isEmpty() ? "" : e.field() + ": ") + e.message());
        invalid.add(o);
        return true;
      });
      if (remaining.size() == before) throw new ConfigException(errors);
    }
  }
}
