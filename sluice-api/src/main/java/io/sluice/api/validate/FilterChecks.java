package io.sluice.api.validate;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.filter.FilterSpec;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.pipeline.PipelineSpec;
import io.sluice.api.route.RouteSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The checks of filter lists (routes, pipelines, global filters) and of Consumers, for
 * {@link Validator}. Filter configs are checked by the installed {@link FilterConfigValidator}; without
 * one (no data plane on the class path) only the shape of the lists is checked.
 */
final class FilterChecks {
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  private static final Pattern RESULT = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  private static final int MIN_KEY_LENGTH = 8;

  private final List<ConfigError> errors;
  private final @Nullable FilterConfigValidator validator;
  private final BiPredicate<Kind, String> exists;
  private final FilterConfigValidator.ReferencedObjects objects;
  private final Function<String, @Nullable ConfigObject<PipelineSpec>> pipelines;
  private final List<ConfigObject<GlobalFilterSpec>> globalFilters;

  /**
   * @param exists whether the configuration has an object of a kind and name
   * @param objects the configuration's object of a kind and name, for configs checked against what they refer to
   * @param pipelines the configuration's Pipeline of a name, or null
   * @param globalFilters the configuration's GlobalFilters, sorted by name
   */
  FilterChecks(List<ConfigError> errors, @Nullable FilterConfigValidator validator, BiPredicate<Kind, String> exists,
      FilterConfigValidator.ReferencedObjects objects, Function<String, @Nullable ConfigObject<PipelineSpec>> pipelines,
      List<ConfigObject<GlobalFilterSpec>> globalFilters) {
    this.errors = errors;
    this.validator = validator;
    this.exists = exists;
    this.objects = objects;
    this.pipelines = pipelines;
    this.globalFilters = globalFilters;
  }

  /** Checks of a whole set of objects: their pipelines and global filters are the configuration's. */
  static FilterChecks of(List<ConfigError> errors, @Nullable FilterConfigValidator validator,
      BiPredicate<Kind, String> exists, FilterConfigValidator.ReferencedObjects byRef, Iterable<? extends ConfigObject<?>> objects) {
    Map<String, ConfigObject<PipelineSpec>> pipelines = new HashMap<>();
    List<ConfigObject<GlobalFilterSpec>> globalFilters = new ArrayList<>();
    for (ConfigObject<?> o : objects) {
      switch (o.kind()) {
        case PIPELINE -> pipelines.putIfAbsent(o.name(), cast(o));
        case GLOBAL_FILTER -> globalFilters.add(cast(o));
        default -> {}
      }
    }
    globalFilters.sort((a, b) -> a.name().compareTo(b.name()));
    return new FilterChecks(errors, validator, exists, byRef, pipelines::get, globalFilters);
  }

  @SuppressWarnings("unchecked")
  private static <S extends io.sluice.api.Spec> ConfigObject<S> cast(ConfigObject<?> o) {
    return (ConfigObject<S>) o;
  }

  // ---- per object

  void route(ConfigObject<?> o, RouteSpec s) {
    Map<String, String> names = new HashMap<>();
    if (s.pipeline() != null) {
      ConfigObject<PipelineSpec> p = pipelines.apply(s.pipeline());
      if (!exists.test(Kind.PIPELINE, s.pipeline())) {
        error(o, "spec.pipeline", "Pipeline '" + s.pipeline() + "' does not exist");
      } else if (p != null) {
        for (FilterSpec f : p.spec().filters()) {
          if (f.name() != null) names.put(f.name(), p.ref());
        }
      }
    }
    list(o, "spec.filters", s.filters(), names);
    Set<String> global = new HashSet<>();
    for (ConfigObject<GlobalFilterSpec> g : globalFilters) {
      for (FilterSpec f : g.spec().before()) if (f.name() != null) global.add(f.name());
      for (FilterSpec f : g.spec().after()) if (f.name() != null) global.add(f.name());
    }
    for (int i = 0; i < s.disableGlobal().size(); i++) {
      String n = s.disableGlobal().get(i);
      if (!global.contains(n)) {
        error(o, "spec.disableGlobal[" + i + "]", "no GlobalFilter has a filter named '" + n + "'");
      }
    }
  }

  void pipeline(ConfigObject<?> o, PipelineSpec s) {
    if (s.filters().isEmpty()) {
      error(o, "spec.filters", "missing; expected at least one filter such as {kind: header, config: {...}}");
    }
    list(o, "spec.filters", s.filters(), new HashMap<>());
  }

  void globalFilter(ConfigObject<?> o, GlobalFilterSpec s) {
    for (int i = 0; i < s.listeners().size(); i++) {
      String l = s.listeners().get(i);
      if (!exists.test(Kind.LISTENER, l)) error(o, "spec.listeners[" + i + "]", "Listener '" + l + "' does not exist");
    }
    if (s.before().isEmpty() && s.after().isEmpty()) {
      error(o, "spec", "no filters; expected before or after, each a list of filters");
    }
    Map<String, String> names = new HashMap<>();
    list(o, "spec.before", s.before(), names);
    list(o, "spec.after", s.after(), names);
  }

  void consumer(ConfigObject<?> o, ConsumerSpec s) {
    // No credentials is valid: such a Consumer is found only through jwt's consumer mapping.
    if (s.keyAuth() != null) {
      String key = s.keyAuth().key();
      if (key == null || key.isEmpty()) {
        error(o, "spec.keyAuth.key", "missing; expected the API key the consumer sends");
      } else if (key.length() < MIN_KEY_LENGTH) {
        error(o, "spec.keyAuth.key", "too short: " + key.length() + " characters, expected at least " + MIN_KEY_LENGTH);
      } else if (!printable(key)) {
        error(o, "spec.keyAuth.key", "expected visible ASCII characters only (it is sent in a header or query parameter)");
      }
    }
    if (s.basicAuth() != null) {
      String user = s.basicAuth().username();
      if (user == null || user.isEmpty()) {
        error(o, "spec.basicAuth.username", "missing; expected the user name the consumer sends");
      } else if (user.indexOf(':') >= 0 || user.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        error(o, "spec.basicAuth.username", "invalid user name '" + user + "': expected no ':' and no control characters");
      }
      String password = s.basicAuth().password();
      String hash = s.basicAuth().passwordHash();
      if (password != null && hash != null) {
        error(o, "spec.basicAuth", "both password and passwordHash are set; expected one of them");
      } else if (hash != null) {
        bcryptHash(o, hash);
      } else if (password == null || password.isEmpty()) {
        error(o, "spec.basicAuth.password", "missing; expected the password the consumer sends, or a passwordHash");
      }
    }
    if (s.rateLimit() != null) rateLimit(o, "spec.rateLimit", s.rateLimit());
  }

  /** The most bcrypt cost accepted: each new login costs 2^cost rounds (cost 14 is about a second of a core). */
  static final int MAX_BCRYPT_COST = 14;
  private static final java.util.regex.Pattern BCRYPT = java.util.regex.Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");

  private void bcryptHash(ConfigObject<?> o, String hash) {
    java.util.regex.Matcher m = BCRYPT.matcher(hash);
    if (!m.matches()) {
      error(o, "spec.basicAuth.passwordHash", "not a bcrypt hash: expected $2y$<cost>$ and 53 characters of salt and hash,"
          + " as 'htpasswd -nbB user password' prints after the colon");
      return;
    }
    int cost = Integer.parseInt(m.group(1));
    if (cost < 4 || cost > MAX_BCRYPT_COST) {
      error(o, "spec.basicAuth.passwordHash", "bcrypt cost " + cost + " is out of range: expected 4 to " + MAX_BCRYPT_COST
          + " (each new login costs 2^cost rounds)");
    }
  }

  private void rateLimit(ConfigObject<?> o, String field, ConsumerSpec.RateLimit r) {
    if (r.requests() < 1) error(o, field + ".requests", "expected at least 1, got " + r.requests());
    Duration per = r.per();
    if (per.isNegative() || per.isZero()) error(o, field + ".per", "expected a duration greater than zero");
    if (r.burst() != null && r.burst() < 1) error(o, field + ".burst", "expected at least 1, got " + r.burst());
  }

  // ---- across objects

  /** Keys and user names identify a consumer, so two consumers of {@code objects} may not share one. */
  void consumerClashes(Iterable<? extends ConfigObject<?>> objects) {
    Map<String, ConfigObject<?>> keys = new HashMap<>();
    Map<String, ConfigObject<?>> users = new HashMap<>();
    List<ConfigObject<ConsumerSpec>> sorted = new ArrayList<>();
    for (ConfigObject<?> o : objects) {
      if (o.kind() == Kind.CONSUMER) sorted.add(cast(o));
    }
    sorted.sort((a, b) -> a.name().compareTo(b.name()));
    for (ConfigObject<ConsumerSpec> c : sorted) {
      ConsumerSpec s = c.spec();
      if (s.keyAuth() != null && s.keyAuth().key() != null && !s.keyAuth().key().isEmpty()) {
        ConfigObject<?> first = keys.putIfAbsent(s.keyAuth().key(), c);
        if (first != null) error(c, "spec.keyAuth.key", "the same key as " + first.ref() + "; keys must be unique");
      }
      if (s.basicAuth() != null && s.basicAuth().username() != null && !s.basicAuth().username().isEmpty()) {
        ConfigObject<?> first = users.putIfAbsent(s.basicAuth().username(), c);
        if (first != null) {
          error(c, "spec.basicAuth.username", "user name '" + s.basicAuth().username() + "' is also " + first.ref()
              + "'s; user names must be unique");
        }
      }
    }
  }

  /**
   * Two GlobalFilters that apply to the same listener may not name filters alike: a route's
   * override or {@code disableGlobal} would be ambiguous.
   */
  void globalFilterClashes() {
    for (int i = 0; i < globalFilters.size(); i++) {
      ConfigObject<GlobalFilterSpec> g = globalFilters.get(i);
      Map<String, String> mine = names(g.spec());
      for (int j = 0; j < i; j++) {
        ConfigObject<GlobalFilterSpec> earlier = globalFilters.get(j);
        if (!overlap(g.spec(), earlier.spec())) continue;
        Map<String, String> theirs = names(earlier.spec());
        for (Map.Entry<String, String> n : mine.entrySet()) {
          if (theirs.containsKey(n.getKey())) {
            error(g, n.getValue(), "filter name '" + n.getKey() + "' is also used by " + earlier.ref()
                + ", which applies to the same listeners; expected names unique among the GlobalFilters of a listener");
          }
        }
      }
    }
  }

  private static Map<String, String> names(GlobalFilterSpec s) {
    Map<String, String> names = new LinkedHashMap<>();
    for (int i = 0; i < s.before().size(); i++) {
      if (s.before().get(i).name() != null) names.putIfAbsent(s.before().get(i).name(), "spec.before[" + i + "].name");
    }
    for (int i = 0; i < s.after().size(); i++) {
      if (s.after().get(i).name() != null) names.putIfAbsent(s.after().get(i).name(), "spec.after[" + i + "].name");
    }
    return names;
  }

  private static boolean overlap(GlobalFilterSpec a, GlobalFilterSpec b) {
    if (a.listeners().isEmpty() || b.listeners().isEmpty()) return true;
    for (String l : a.listeners()) if (b.listeners().contains(l)) return true;
    return false;
  }

  // ---- one list of filters

  /**
   * @param names filter names already taken (by an earlier list of the same chain), each with what
   *     took it; this list's names are added
   */
  private void list(ConfigObject<?> o, String field, List<FilterSpec> filters, Map<String, String> names) {
    for (int i = 0; i < filters.size(); i++) {
      FilterSpec f = filters.get(i);
      String at = field + "[" + i + "]";
      boolean known = false;
      if (f.kind() == null || f.kind().isEmpty()) {
        error(o, at + ".kind", "missing; expected " + (validator == null ? "a filter kind such as header" : "one of " + kindList(validator)));
      } else if (io.sluice.api.filter.FilterSpecs.pluginOf(f.kind()) != null && (validator == null || !validator.kinds().contains(f.kind()))) {
        pluginKind(o, at + ".kind", f.kind());
      } else if (validator != null && !validator.kinds().contains(f.kind())) {
        error(o, at + ".kind", "unknown filter kind '" + f.kind() + "'; expected one of " + kindList(validator));
      } else {
        known = validator != null;
      }
      if (f.name() != null) {
        if (!NAME.matcher(f.name()).matches()) {
          error(o, at + ".name", "invalid name '" + f.name() + "': expected lower-case letters, digits, '-' and '.', "
              + "starting and ending with a letter or digit");
        } else {
          String first = names.putIfAbsent(f.name(), at);
          if (first != null) {
            error(o, at + ".name", "duplicate filter name '" + f.name() + "', already "
                + (first.startsWith("spec.") ? first : "a filter of " + first));
          }
        }
      }
      for (Map.Entry<String, String> jump : f.onResult().entrySet()) {
        String jf = at + ".onResult." + jump.getKey();
        if (!RESULT.matcher(jump.getKey()).matches()) {
          error(o, jf, "invalid result name '" + jump.getKey() + "': expected letters, digits, '-', '_' and '.'");
        }
        String target = jump.getValue();
        if (target.equals(FilterSpec.END)) continue;
        int t = indexOf(filters, target);
        if (t < 0) {
          error(o, jf, "'" + target + "' is not a filter of " + field + "; expected the name of a later filter in "
              + field + ", or END");
        } else if (t <= i) {
          error(o, jf, "'" + target + "' is not after this filter; a jump only goes forward (so a flow cannot loop), "
              + "expected a later filter or END");
        }
      }
      if (known && validator != null) config(validator, o, at, f);
    }
  }

  /** A plugin's filter kind ({@code plugin/kind}) the validator does not know: its Plugin is missing, failed or lacks the kind. */
  private void pluginKind(ConfigObject<?> o, String field, String kind) {
    String plugin = java.util.Objects.requireNonNull(io.sluice.api.filter.FilterSpecs.pluginOf(kind));
    if (!exists.test(Kind.PLUGIN, plugin)) {
      error(o, field, "Plugin '" + plugin + "' does not exist; expected the name of a Plugin, then '/' and one of its filter kinds");
    } else if (validator != null) {
      String prefix = plugin + "/";
      List<String> provided = validator.kinds().stream().filter(k -> k.startsWith(prefix)).toList();
      error(o, field, provided.isEmpty()
          ? "Plugin '" + plugin + "' provides no filter kinds (it did not load; see its own error)"
          : "Plugin '" + plugin + "' provides no filter kind '" + kind.substring(prefix.length()) + "'; expected one of "
              + String.join(", ", provided));
    }
  }

  private void config(FilterConfigValidator validator, ConfigObject<?> o, String at, FilterSpec f) {
    int before = errors.size();
    validator.validate(f.kind(), f.config(), (field, message) -> error(o, at + ".config" + suffix(field), message));
    if (errors.size() > before) return;
    for (FilterConfigValidator.Reference r : validator.references(f.kind(), f.config())) {
      if (!exists.test(r.target().kind(), r.target().name())) {
        error(o, at + ".config" + suffix(r.field()), r.target().kind() + " '" + r.target().name() + "' does not exist");
      }
    }
    if (errors.size() > before) return;
    validator.validateReferenced(f.kind(), f.config(), objects, (field, message) -> error(o, at + ".config" + suffix(field), message));
  }

  private static String suffix(String field) {
    return field.isEmpty() ? "" : field.startsWith("[") ? field : "." + field;
  }

  private static int indexOf(List<FilterSpec> filters, String name) {
    for (int i = 0; i < filters.size(); i++) {
      if (name.equals(filters.get(i).name())) return i;
    }
    return -1;
  }

  private static String kindList(FilterConfigValidator validator) {
    return String.join(", ", validator.kinds());
  }

  private static boolean printable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x20 || c >= 0x7f) return false;
    }
    return true;
  }

  private void error(ConfigObject<?> o, String field, String message) {
    errors.add(new ConfigError(o.sourceOf(field), o.ref(), field, message));
  }
}
