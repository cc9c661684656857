package io.sluice.api.validate;

import io.sluice.api.ByteSize;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.Durations;
import io.sluice.api.consumer.ConsumerSpec;
import io.sluice.api.function.FunctionSpec;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.listener.ListenerTls;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.pipeline.PipelineSpec;
import io.sluice.api.listener.AccessLog;
import io.sluice.api.listener.Tracing;
import io.sluice.api.route.DirectResponse;
import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.Rewrite;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.secret.SecretData;
import io.sluice.api.secret.SecretSpec;
import io.sluice.api.upstream.LoadBalancer;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.api.upstream.UpstreamTls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * Checks a whole set of objects: names, every field's value, references between objects, and
 * conflicts between them (duplicate names, port clashes). Every error is reported, each naming the
 * object's source, the object and the field, and saying what was found and what was expected.
 * {@link #validateRoutes} checks only some routes of a configuration, with the same checks.
 *
 * <p>What the codec already guarantees (types, unknown fields) is not checked again; what a record
 * cannot say about itself (a field required only in combination with another, a value range, a
 * reference) is checked here. Stateless and thread-safe.
 */
public final class Validator {
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  private static final int MAX_NAME_LENGTH = 253;
  private static final ByteSize MAX_REQUEST_BUFFER = ByteSize.ofMiB(16);
  private static final Duration MAX_FILTER_TIMEOUT = Duration.ofMinutes(10);
  /** RFC 9110 token: methods and header field names. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

  private Validator() {}

  /**
   * Returns every error in {@code objects}; empty when they form a valid configuration. Filter
   * configs are checked by the {@linkplain FilterConfigValidator#installed() installed} validator.
   */
  public static List<ConfigError> validate(Collection<? extends ConfigObject<?>> objects) {
    return validate(objects, Set.of());
  }

  /**
   * Returns every error in {@code objects}, given that the objects named in {@code unreadable} exist
   * but could not be decoded (their own errors are reported elsewhere): a reference to one of them
   * is not reported again as dangling.
   *
   * @param unreadable {@code Kind/name} of each object that was written but could not be decoded
   */
  public static List<ConfigError> validate(Collection<? extends ConfigObject<?>> objects, Set<String> unreadable) {
    return validate(objects, unreadable, FilterConfigValidator.installed());
  }

  /**
   * Like {@link #validate(Collection, Set)}, with filter configs checked by {@code filters}; with
   * null, filter kinds and configs are not checked (only the shape of filter lists).
   */
  public static List<ConfigError> validate(Collection<? extends ConfigObject<?>> objects, Set<String> unreadable,
      @Nullable FilterConfigValidator filters) {
    return validate(objects, unreadable, filters, PathPolicy.DEFAULT);
  }

  /**
   * Like {@link #validate(Collection, Set, FilterConfigValidator)}, with the files objects name
   * checked against {@code paths}, the directories the server allows (see {@link PathPolicy}).
   */
  public static List<ConfigError> validate(Collection<? extends ConfigObject<?>> objects, Set<String> unreadable,
      @Nullable FilterConfigValidator filters, PathPolicy paths) {
    List<ConfigError> errors = new ArrayList<>();
    PathChecks pathChecks = new PathChecks(errors, paths);
    Map<String, ConfigObject<?>> byRef = new HashMap<>();
    TlsChecks tlsChecks = new TlsChecks(errors, paths, byRef);
    for (ConfigObject<?> o : objects) identity(new Report(errors, o), o, byRef);
    References refs = new References(byRef.keySet(), unreadable);
    // Before the filter lists: the kinds a Plugin provides are known only once its jar is loaded.
    filters = PluginChecks.load(errors, objects, filters);
    FilterChecks filterChecks = FilterChecks.of(errors, filters, refs::exists, ref -> byRef.get(ref.kind().displayName() + "/" + ref.name()), objects);
    List<Bound> bound = new ArrayList<>();
    for (ConfigObject<?> o : objects) {
      Report r = new Report(errors, o);
      bounds(r, o);
      // On the kind, not the spec class: a new Kind then does not compile until it is validated here.
      switch (o.kind()) {
        case LISTENER -> {
          Hosts.HostPort address = listener(r, (ListenerSpec) o.spec());
          if (address != null) bound.add(new Bound(o, address));
          AccessLog log = ((ListenerSpec) o.spec()).accessLog();
          if (log != null && log.file() != null) pathChecks.accessLog(o, log.file());
          ListenerTls tls = ((ListenerSpec) o.spec()).tls();
          if (tls != null) tlsChecks.listener(o, tls, refs::exists);
        }
        case SECRET -> {
          tlsChecks.secret(o);
          SecretData.check((SecretSpec) o.spec(), r::error);
        }
        case PLUGIN -> {} // checked and loaded above, by PluginChecks
        case ROUTE -> route(r, o, refs::exists, filterChecks);
        case UPSTREAM -> {
          upstream(r, (UpstreamSpec) o.spec());
          UpstreamTls tls = ((UpstreamSpec) o.spec()).tls();
          if (tls != null) tlsChecks.upstream(o, tls, refs::exists);
        }
        case FUNCTION -> FunctionChecks.function(r::error, (FunctionSpec) o.spec(), refs::exists);
        case CONSUMER -> filterChecks.consumer(o, (ConsumerSpec) o.spec());
        case PIPELINE -> filterChecks.pipeline(o, (PipelineSpec) o.spec());
        case GLOBAL_FILTER -> filterChecks.globalFilter(o, (GlobalFilterSpec) o.spec());
        case WEBHOOK -> WebhookChecks.check(r::error, (io.sluice.api.webhook.WebhookSpec) o.spec(), refs::exists, byRef);
      }
    }
    portClashes(errors, bound);
    pathChecks.rotationClashes();
    filterChecks.consumerClashes(objects);
    filterChecks.globalFilterClashes();
    return errors;
  }

  /**
   * The configuration that {@link #validateRoutes} checks routes against. Implementations answer
   * for one configuration that does not change while the routes are checked.
   */
  public interface RouteContext {
    /** Whether the configuration has an object of {@code kind} named {@code name}; the routes checked are part of it. */
    boolean exists(Kind kind, String name);

    /** The configuration's Pipeline named {@code name}, or null when there is none. */
    @Nullable ConfigObject<PipelineSpec> pipeline(String name);

    /** Every GlobalFilter of the configuration, sorted by name. */
    List<ConfigObject<GlobalFilterSpec>> globalFilters();

    /**
     * The configuration's object {@code ref} names, for filter configs checked against what they
     * refer to ({@link FilterConfigValidator#validateReferenced}); null when there is none. The
     * default knows no objects: those checks are then skipped.
     */
    default @Nullable ConfigObject<?> object(ObjectRef ref) {
      return null;
    }

    /** Every Plugin of the configuration (all valid), sorted by name: the filter kinds they provide are known. */
    default List<ConfigObject<io.sluice.api.plugin.PluginSpec>> plugins() {
      return List.of();
    }
  }

  /**
   * Returns every error that {@link #validate(Collection, Set, FilterConfigValidator)} reports about
   * {@code routes} when it validates a configuration that holds them, in the same order:
   * {@code context} describes that configuration, and its objects other than {@code routes} do not
   * have the kind and name of one of them. Only the routes are checked: nothing in a route's
   * validation depends on other routes, except that a filter config may name one (answered by
   * {@link RouteContext#exists}), so these are all the errors about them. The errors of the other
   * objects are not looked for; a caller that needs the whole configuration valid must know them
   * to be valid, and that no route it removed is still named by one of them.
   *
   * <p>Like {@link #validate}, names (and duplicates among {@code routes}) are checked for every
   * route first, then everything else, route by route.
   *
   * @param routes the routes, in the order {@code validate} would meet them
   * @param filters checks filter configs, as in {@code validate}; null checks only the shape of filter lists
   * @throws IllegalArgumentException when one of {@code routes} is not a Route
   */
  public static List<ConfigError> validateRoutes(Collection<? extends ConfigObject<?>> routes, RouteContext context,
      @Nullable FilterConfigValidator filters) {
    List<ConfigError> errors = new ArrayList<>();
    Map<String, ConfigObject<?>> byRef = new HashMap<>();
    for (ConfigObject<?> o : routes) {
      if (o.kind() != Kind.ROUTE) throw new IllegalArgumentException(o.ref() + " is not a Route");
      identity(new Report(errors, o), o, byRef);
    }
    // The Plugins were valid: a jar that no longer loads shows as its routes' unknown filter kinds.
    if (filters != null && !context.plugins().isEmpty()) filters = filters.withPlugins(context.plugins(), (p, field, message) -> {});
    FilterChecks filterChecks = new FilterChecks(errors, filters, context::exists, context::object, context::pipeline, context.globalFilters());
    for (ConfigObject<?> o : routes) {
      Report r = new Report(errors, o);
      bounds(r, o);
      route(r, o, context::exists, filterChecks);
    }
    return errors;
  }

  /** Every duration and size of the spec within what the runtime can hold ({@link Bounds}); filter configs are bounded when bound. */
  private static void bounds(Report r, ConfigObject<?> o) {
    Bounds.check(o.spec(), "spec", r::error);
  }

  /** apiVersion and name, and that no object before it (in {@code byRef}, which it is added to) has its kind and name. */
  private static void identity(Report r, ConfigObject<?> o, Map<String, ConfigObject<?>> byRef) {
    if (!o.apiVersion().equals(ConfigObject.API_VERSION)) {
      r.error("apiVersion", "expected '" + ConfigObject.API_VERSION + "', got '" + o.apiVersion() + "'");
    }
    name(r, o.name());
    ConfigObject<?> first = byRef.putIfAbsent(o.ref(), o);
    if (first != null) {
      r.error("metadata.name", "duplicate name: " + o.ref() + " is also defined in " + first.source());
    }
  }

  private static void name(Report r, String name) {
    if (name.isEmpty()) {
      r.error("metadata.name", "missing; expected a name such as orders-v1");
    } else if (name.length() > MAX_NAME_LENGTH) {
      r.error("metadata.name", "too long: " + name.length() + " characters, expected at most " + MAX_NAME_LENGTH);
    } else if (!NAME.matcher(name).matches()) {
      r.error("metadata.name", "invalid name '" + name + "': expected lower-case letters, digits, '-' and '.', "
          + "starting and ending with a letter or digit");
    }
  }

  // ---- Listener

  private static Hosts.@Nullable HostPort listener(Report r, ListenerSpec l) {
    Hosts.HostPort address = null;
    if (l.address() == null) {
      r.error("spec.address", "missing; expected host:port such as 127.0.0.1:8080");
    } else {
      String problem = Hosts.problemWithListenAddress(l.address());
      if (problem != null) r.error("spec.address", problem);
      address = Hosts.parseListenAddress(l.address());
    }
    ListenerSpec.Limits lim = l.limits();
    atLeast(r, "spec.limits.maxHeaderSize", lim.maxHeaderSize(), ByteSize.ofKiB(1));
    // The head is buffered whole before a request is routed, so its limit also bounds memory per connection.
    if (lim.maxHeaderSize().bytes() > ByteSize.ofMiB(1).bytes()) {
      r.error("spec.limits.maxHeaderSize", "must be at most 1MiB, got " + lim.maxHeaderSize());
    }
    atLeast(r, "spec.limits.maxUriLength", lim.maxUriLength(), 64);
    atLeast(r, "spec.limits.maxConnections", lim.maxConnections(), 1);
    atLeast(r, "spec.limits.maxHeaderCount", lim.maxHeaderCount(), 1);
    if (lim.maxBodySize() != null) atLeast(r, "spec.limits.maxBodySize", lim.maxBodySize(), ByteSize.ofBytes(1));
    // Each client connection may hold this much while its body arrives: the cap bounds memory.
    if (lim.requestBuffer().bytes() > MAX_REQUEST_BUFFER.bytes()) {
      r.error("spec.limits.requestBuffer", "must be at most " + MAX_REQUEST_BUFFER + ", got " + lim.requestBuffer());
    }
    positive(r, "spec.timeouts.idle", l.timeouts().idle());
    positive(r, "spec.timeouts.headerRead", l.timeouts().headerRead());
    positive(r, "spec.timeouts.drain", l.timeouts().drain());
    positive(r, "spec.timeouts.filter", l.timeouts().filter());
    // A pending filter holds its exchange (and the request's memory) until then: the cap bounds it.
    if (l.timeouts().filter().compareTo(MAX_FILTER_TIMEOUT) > 0) {
      r.error("spec.timeouts.filter", "must be at most " + Durations.format(MAX_FILTER_TIMEOUT) + ", got "
          + Durations.format(l.timeouts().filter()));
    }
    Duration handshake = l.timeouts().handshake();
    if (handshake != null) positive(r, "spec.timeouts.handshake", handshake);
    if (l.accessLog() != null) accessLog(r, l.accessLog());
    if (l.tracing() != null) tracing(r, l.tracing());
    l.nodeSelector().forEach((key, value) -> {
      String problem = io.sluice.api.listener.NodeLabels.problemWithKey(key);
      if (problem == null) problem = io.sluice.api.listener.NodeLabels.problemWithValue(value);
      if (problem != null) r.error("spec.nodeSelector." + key, problem);
    });
    protocols(r, l);
    ListenerSpec.Http2 h2 = l.http2();
    if (h2 != null) http2(r, h2);
    return address;
  }

  private static void protocols(Report r, ListenerSpec l) {
    List<String> protocols = l.protocols();
    if (protocols == null) return;
    if (protocols.isEmpty()) {
      r.error("spec.protocols", "empty; expected at least one of " + (l.tls() == null ? "http1, h2c" : "http1, h2")
          + ", or leave it out");
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < protocols.size(); i++) {
      String p = protocols.get(i);
      String field = "spec.protocols[" + i + "]";
      if (p == null) {
        r.error(field, "missing; expected http1, h2 or h2c");
      } else if (!seen.add(p)) {
        r.error(field, "'" + p + "' appears twice; expected each protocol once");
      } else if (p.equals(ListenerSpec.H2) && l.tls() == null) {
        r.error(field, "h2 is HTTP/2 over TLS and this listener has no spec.tls; expected h2c (HTTP/2 over plain TCP) or add spec.tls");
      } else if (p.equals(ListenerSpec.H2C) && l.tls() != null) {
        r.error(field, "h2c is HTTP/2 over plain TCP and this listener has spec.tls; expected h2 (HTTP/2 over TLS, by ALPN)");
      } else if (!p.equals(ListenerSpec.HTTP1) && !p.equals(ListenerSpec.H2) && !p.equals(ListenerSpec.H2C)) {
        r.error(field, "unknown protocol '" + p + "'; expected http1, h2 or h2c");
      }
    }
  }

  /** The largest SETTINGS_MAX_FRAME_SIZE HTTP/2 allows (RFC 9113 §6.5.2). */
  private static final long MAX_FRAME_SIZE = (1 << 24) - 1;

  private static void http2(Report r, ListenerSpec.Http2 h) {
    atLeast(r, "spec.http2.maxConcurrentStreams", h.maxConcurrentStreams(), 1);
    // Each stream holds an exchange and its buffers: the cap bounds a connection's memory.
    if (h.maxConcurrentStreams() > 10_000) {
      r.error("spec.http2.maxConcurrentStreams", "must be at most 10000, got " + h.maxConcurrentStreams());
    }
    atLeast(r, "spec.http2.maxHeaderListSize", h.maxHeaderListSize(), ByteSize.ofKiB(1));
    if (h.maxHeaderListSize().bytes() > ByteSize.ofMiB(1).bytes()) {
      r.error("spec.http2.maxHeaderListSize", "must be at most 1MiB, got " + h.maxHeaderListSize());
    }
    atLeast(r, "spec.http2.initialWindowSize", h.initialWindowSize(), ByteSize.ofKiB(1));
    if (h.initialWindowSize().bytes() > ByteSize.ofMiB(16).bytes()) {
      r.error("spec.http2.initialWindowSize", "must be at most 16MiB, got " + h.initialWindowSize());
    }
    if (h.maxFrameSize().bytes() < ByteSize.ofKiB(16).bytes() || h.maxFrameSize().bytes() > MAX_FRAME_SIZE) {
      r.error("spec.http2.maxFrameSize", "expected 16KiB to 16777215 bytes (RFC 9113 §6.5.2), got " + h.maxFrameSize());
    }
    atLeast(r, "spec.http2.maxResets", h.maxResets(), 1);
    positive(r, "spec.http2.resetWindow", h.resetWindow());
    if (h.resetWindow().compareTo(Duration.ofHours(1)) > 0) {
      r.error("spec.http2.resetWindow", "must be at most 1h, got " + Durations.format(h.resetWindow()));
    }
    atLeast(r, "spec.http2.maxQueuedControlFrames", h.maxQueuedControlFrames(), 1);
  }

  private static final Pattern TEMPLATE_FIELD = Pattern.compile("\\{([^{}]*)}");

  private static void accessLog(Report r, AccessLog a) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < a.fields().size(); i++) {
      String f = a.fields().get(i);
      if (!AccessLog.FIELDS.contains(f)) {
        r.error("spec.accessLog.fields[" + i + "]", "unknown field '" + f + "', expected one of " + AccessLog.FIELDS);
      } else if (!seen.add(f)) {
        r.error("spec.accessLog.fields[" + i + "]", "field '" + f + "' appears twice; expected each field once");
      }
    }
    if (a.template() != null) {
      if (a.format() != AccessLog.Format.TEXT) {
        r.error("spec.accessLog.template", "only for format text; a json line has the fields as keys (use fields)");
      }
      if (!a.fields().isEmpty()) {
        r.error("spec.accessLog.template", "set together with fields; expected one of them");
      }
      Matcher m = TEMPLATE_FIELD.matcher(a.template());
      boolean any = false;
      while (m.find()) {
        any = true;
        if (!AccessLog.FIELDS.contains(m.group(1))) {
          r.error("spec.accessLog.template", "unknown field {" + m.group(1) + "}, expected one of " + AccessLog.FIELDS);
        }
      }
      if (!any) r.error("spec.accessLog.template", "no {field} in '" + a.template() + "'; expected e.g. '{client} {status}'");
      if (a.template().chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
        r.error("spec.accessLog.template", "control characters such as a line break are not allowed");
      }
    }
    AccessLog.FileOutput f = a.file();
    if (f != null) {
      if (f.path() == null || f.path().isBlank()) {
        r.error("spec.accessLog.file.path", "missing; expected a file in the log directory such as access.log");
      }
      atLeast(r, "spec.accessLog.file.maxSize", f.maxSize(), ByteSize.ofKiB(1));
      if (f.rotateEvery() != null && f.rotateEvery().compareTo(Duration.ofSeconds(1)) < 0) {
        r.error("spec.accessLog.file.rotateEvery", "must be at least 1s, got " + Durations.format(f.rotateEvery()));
      }
      if (f.keep() < 0 || f.keep() > 1000) {
        r.error("spec.accessLog.file.keep", "expected 0 to 1000 rotated files, got " + f.keep());
      }
    }
  }

  private static void tracing(Report r, Tracing t) {
    samplingRatio(r, "spec.tracing.samplingRatio", t.samplingRatio());
    if (t.endpoint() != null) {
      String problem = null;
      try {
        java.net.URI u = new java.net.URI(t.endpoint());
        if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
          problem = "expected an http or https URL such as http://127.0.0.1:4318/v1/traces, got '" + t.endpoint() + "'";
        }
      } catch (java.net.URISyntaxException e) {
        problem = "invalid URL '" + t.endpoint() + "': " + e.getReason();
      }
      if (problem != null) r.error("spec.tracing.endpoint", problem);
    }
    if (new HashSet<>(t.propagation()).size() != t.propagation().size()) {
      r.error("spec.tracing.propagation", "a format appears twice in " + t.propagation().stream()
          .map(Tracing.Propagation::configName).toList() + "; expected each once");
    }
    if (t.serviceName().isBlank()) r.error("spec.tracing.serviceName", "empty; expected a name such as sluice");
  }

  private static void samplingRatio(Report r, String field, @Nullable Double ratio) {
    if (ratio == null) {
      r.error(field, "missing; expected a number from 0 to 1");
    } else if (!(ratio >= 0 && ratio <= 1)) {
      r.error(field, "expected a number from 0 to 1, got " + ratio);
    }
  }

  private record Bound(ConfigObject<?> listener, Hosts.HostPort address) {}

  /**
   * Two listeners clash on the same port when their hosts are equal or either is a wildcard
   * (0.0.0.0 or ::), since binding the wildcard takes the port on every address. The later one is
   * reported, naming the earlier. Port 0 never clashes: each bind gets its own free port from the OS.
   */
  private static void portClashes(List<ConfigError> errors, List<Bound> bound) {
    for (int i = 0; i < bound.size(); i++) {
      Bound b = bound.get(i);
      for (int j = 0; j < i; j++) {
        Bound earlier = bound.get(j);
        Hosts.HostPort x = b.address();
        Hosts.HostPort y = earlier.address();
        if (x.port() == y.port() && !x.isAnyPort() && (x.host().equals(y.host()) || x.isWildcard() || y.isWildcard())) {
          new Report(errors, b.listener()).error("spec.address", "port clash: " + x + " overlaps " + earlier.listener().ref()
              + " on " + y + " (" + earlier.listener().source() + ")");
          break;
        }
      }
    }
  }

  // ---- Route

  /** Every check of one route; the only place routes are checked, for {@link #validate} and {@link #validateRoutes}. */
  private static void route(Report r, ConfigObject<?> o, BiPredicate<Kind, String> exists, FilterChecks filterChecks) {
    RouteSpec s = (RouteSpec) o.spec();
    for (int i = 0; i < s.listeners().size(); i++) {
      String l = s.listeners().get(i);
      if (!exists.test(Kind.LISTENER, l)) r.error("spec.listeners[" + i + "]", "Listener '" + l + "' does not exist");
    }
    for (int i = 0; i < s.hosts().size(); i++) {
      String problem = Hosts.problemWithRouteHost(s.hosts().get(i));
      if (problem != null) r.error("spec.hosts[" + i + "]", problem);
    }
    TrafficChecks.routeDestination(r::error, s, name -> exists.test(Kind.UPSTREAM, name));
    PathMatch p = s.match().path();
    pathMatch(r, p);
    for (int i = 0; i < s.match().methods().size(); i++) {
      String m = s.match().methods().get(i);
      if (!TOKEN.matcher(m).matches() || !m.equals(m.toUpperCase(Locale.ROOT))) {
        r.error("spec.match.methods[" + i + "]", "invalid method '" + m + "': expected an upper-case token such as GET");
      }
    }
    keyMatches(r, "spec.match.headers", s.match().headers(), true);
    keyMatches(r, "spec.match.query", s.match().query(), false);
    if (s.rewrite() != null) rewrite(r, s.rewrite(), p);
    if (s.directResponse() != null) directResponse(r, s.directResponse());
    if (s.tracing() != null) samplingRatio(r, "spec.tracing.samplingRatio", s.tracing().samplingRatio());
    filterChecks.route(o, s);
  }

  private static void pathMatch(Report r, PathMatch p) {
    List<String> set = new ArrayList<>();
    if (p.exact() != null) set.add("exact");
    if (p.prefix() != null) set.add("prefix");
    if (p.regex() != null) set.add("regex");
    if (p.template() != null) set.add("template");
    if (set.size() != 1) {
      r.error("spec.match.path", "expected exactly one of exact, prefix, regex, template; got "
          + (set.isEmpty() ? "none" : String.join(" and ", set)));
    }
    absolutePath(r, "spec.match.path.exact", p.exact());
    absolutePath(r, "spec.match.path.prefix", p.prefix());
    absolutePath(r, "spec.match.path.template", p.template());
    if (p.template() != null) template(r, p.template());
    regex(r, "spec.match.path.regex", p.regex());
  }

  private static void template(Report r, String t) {
    Set<String> names = new HashSet<>();
    for (String segment : t.split("/", -1)) {
      if (segment.indexOf('{') < 0 && segment.indexOf('}') < 0) continue;
      Matcher m = PLACEHOLDER.matcher(segment);
      if (!m.matches()) {
        r.error("spec.match.path.template", "invalid segment '" + segment + "' in '" + t
            + "': expected a placeholder to be a whole segment {name}, the name of letters, digits and '_'");
      } else if (!names.add(m.group(1))) {
        r.error("spec.match.path.template", "placeholder {" + m.group(1) + "} appears twice in '" + t
            + "'; expected each name once");
      }
    }
  }

  private static void keyMatches(Report r, String field, List<KeyMatch> list, boolean header) {
    for (int i = 0; i < list.size(); i++) {
      KeyMatch k = list.get(i);
      String f = field + "[" + i + "]";
      if (k.name() == null || k.name().isEmpty()) {
        r.error(f + ".name", "missing; expected the " + (header ? "header" : "query parameter") + " name");
      } else if (header && !TOKEN.matcher(k.name()).matches()) {
        r.error(f + ".name", "invalid header name '" + k.name() + "': expected a token such as x-request-id");
      }
      List<String> set = new ArrayList<>();
      if (k.exact() != null) set.add("exact");
      if (k.regex() != null) set.add("regex");
      if (Boolean.TRUE.equals(k.present())) set.add("present: true");
      if (Boolean.TRUE.equals(k.absent())) set.add("absent: true");
      if (set.size() != 1) {
        r.error(f, "expected exactly one of exact, regex, present: true, absent: true; got "
            + (set.isEmpty() ? "none" : String.join(" and ", set)));
      }
      regex(r, f + ".regex", k.regex());
    }
  }

  private static void rewrite(Report r, Rewrite w, PathMatch p) {
    if (w.pathPrefix() != null) {
      if (p.prefix() == null) {
        r.error("spec.rewrite.pathPrefix", "only allowed with a prefix path match (spec.match.path.prefix), "
            + "but the path is matched by " + (p.exact() != null ? "exact" : p.regex() != null ? "regex" : "template"));
      }
      absolutePath(r, "spec.rewrite.pathPrefix", w.pathPrefix());
    }
    if (w.host() != null) {
      String problem = Hosts.problemWithHostAndOptionalPort(w.host());
      if (problem != null) r.error("spec.rewrite.host", problem);
    }
  }

  private static void directResponse(Report r, DirectResponse d) {
    if (d.status() < 200 || d.status() > 599) {
      r.error("spec.directResponse.status", "expected 200 to 599, got " + d.status());
    }
    if (d.echo() && d.body() != null) {
      r.error("spec.directResponse.body", "set together with echo: true, which answers with the request; "
          + "expected one of them");
    }
    for (Map.Entry<String, String> h : d.headers().entrySet()) {
      String f = "spec.directResponse.headers." + h.getKey();
      if (!TOKEN.matcher(h.getKey()).matches()) {
        r.error(f, "invalid header name '" + h.getKey() + "': expected a token such as x-served-by");
      }
      if (h.getValue().chars().anyMatch(ch -> (ch < 0x20 && ch != '\t') || ch == 0x7f)) {
        r.error(f, "invalid header value: expected no control characters such as a line break");
      }
    }
  }

  // ---- Upstream

  private static void upstream(Report r, UpstreamSpec u) {
    if (u.endpoints().isEmpty()) {
      r.error("spec.endpoints", "missing; expected at least one endpoint such as {address: 10.0.0.1:8080}");
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < u.endpoints().size(); i++) {
      UpstreamSpec.Endpoint e = u.endpoints().get(i);
      String f = "spec.endpoints[" + i + "]";
      if (e.address() == null) {
        r.error(f + ".address", "missing; expected host:port such as 10.0.0.1:8080");
      } else {
        String problem = Hosts.problemWithHostPort(e.address());
        Integer first = seen.putIfAbsent(e.address(), i);
        if (problem != null) {
          r.error(f + ".address", problem);
        } else if (first != null) {
          r.error(f + ".address", "duplicate address '" + e.address() + "', already spec.endpoints[" + first + "]");
        }
      }
      if (e.weight() < 1 || e.weight() > 1000) r.error(f + ".weight", "expected 1 to 1000, got " + e.weight());
    }
    LoadBalancer lb = u.loadBalancer();
    if (lb.hashHeader() == null) {
      if (lb.policy() == LoadBalancer.Policy.HEADER_HASH) {
        r.error("spec.loadBalancer.hashHeader", "missing; policy header-hash needs the name of the header to hash");
      } else if (lb.hashOn() == LoadBalancer.HashOn.HEADER) {
        r.error("spec.loadBalancer.hashHeader", "missing; hashOn: header needs the name of the header to hash");
      }
    } else if (!TOKEN.matcher(lb.hashHeader()).matches()) {
      r.error("spec.loadBalancer.hashHeader", "invalid header name '" + lb.hashHeader() + "': expected a token such as x-user-id");
    }
    positive(r, "spec.timeouts.connect", u.timeouts().connect());
    positive(r, "spec.timeouts.response", u.timeouts().response());
    atLeast(r, "spec.pool.maxConnectionsPerEndpoint", u.pool().maxConnectionsPerEndpoint(), 1);
    positive(r, "spec.pool.idleTimeout", u.pool().idleTimeout());
    upstreamProtocol(r, u);
    TrafficChecks.upstream(r::error, u);
  }

  private static void upstreamProtocol(Report r, UpstreamSpec u) {
    String p = u.protocol();
    if (p != null) {
      boolean tls = u.tlsIfEnabled() != null;
      switch (p) {
        case UpstreamSpec.HTTP1, UpstreamSpec.H2C -> {
          if (p.equals(UpstreamSpec.H2C) && tls) {
            r.error("spec.protocol", "h2c is HTTP/2 over plain TCP and this upstream has spec.tls; expected h2 or auto (HTTP/2 over TLS, by ALPN)");
          }
        }
        case UpstreamSpec.H2, UpstreamSpec.AUTO -> {
          if (!tls) {
            r.error("spec.protocol", p + " chooses HTTP/2 by ALPN on TLS and this upstream has no spec.tls; expected h2c (HTTP/2 over plain TCP) or add spec.tls");
          }
        }
        default -> r.error("spec.protocol", "unknown protocol '" + p + "'; expected http1, h2, h2c or auto");
      }
    }
    UpstreamSpec.Http2 h = u.http2();
    if (h != null) {
      positive(r, "spec.http2.pingInterval", h.pingInterval());
      positive(r, "spec.http2.pingTimeout", h.pingTimeout());
    }
  }

  // ---- shared checks

  private static void positive(Report r, String field, Duration d) {
    if (d.isNegative() || d.isZero()) r.error(field, "expected a duration greater than zero, got " + Durations.format(d));
  }

  private static void atLeast(Report r, String field, int value, int min) {
    if (value < min) r.error(field, "expected at least " + min + ", got " + value);
  }

  private static void atLeast(Report r, String field, ByteSize value, ByteSize min) {
    if (value.bytes() < min.bytes()) r.error(field, "expected at least " + min + ", got " + value);
  }

  private static void absolutePath(Report r, String field, @Nullable String path) {
    if (path != null && !path.startsWith("/")) r.error(field, "expected a path starting with '/', got '" + path + "'");
  }

  private static void regex(Report r, String field, @Nullable String regex) {
    if (regex == null) return;
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      r.error(field, "invalid regular expression '" + regex + "': " + e.getDescription());
    }
  }

  /** The names that references may resolve to. */
  private record References(Set<String> defined, Set<String> unreadable) {
    boolean exists(Kind kind, String name) {
      String ref = kind.displayName() + "/" + name;
      return defined.contains(ref) || unreadable.contains(ref);
    }
  }

  /** Adds errors about one object. */
  private record Report(List<ConfigError> errors, ConfigObject<?> object) {
    void error(String field, String message) {
      errors.add(new ConfigError(object.sourceOf(field), object.ref(), field, message));
    }
  }
}
