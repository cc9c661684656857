package io.sluice.admin.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.admin.AdminToken.Role;
import io.sluice.admin.CanaryControl;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.Durations;
import io.sluice.store.Canary;
import io.sluice.store.CanaryOutcome;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The config canary in the admin API: {@code POST /api/v1/apply?canary=SELECTOR} starts one,
 * {@code GET /api/v1/canary} shows it with both sides' numbers and the canary history,
 * {@code POST /api/v1/canary/promote} and {@code /abort} end it (each names the canary in its JSON
 * body, {@code {"id": "c-..."}}: a body-less POST, which any HTML form can send, changes nothing, and
 * a caller ends only the canary it looked at). While a canary runs, every other write is refused
 * (409 {@code canary_running}) unless it says {@code force=true}, which aborts the canary first.
 * Without a fleet (the embedded store) every canary request is refused (409 {@code no_fleet}).
 */
final class CanaryApi {
  /** The query parameters of {@code POST /api/v1/apply} that start a canary. */
  static final Set<String> APPLY_PARAMETERS =
      Set.of("canary", "canaryAutoAbort", "canaryErrorMargin", "canaryP99Margin", "canaryWindow", "canaryMinRequests");

  private final @Nullable CanaryControl control;

  CanaryApi(@Nullable CanaryControl control) {
    this.control = control;
  }

  private CanaryControl control() {
    CanaryControl c = control;
    if (c == null) {
      throw ApiError.conflict("no_fleet", "canaries need a fleet: this node runs on the embedded store (--data-dir) and is the"
          + " whole fleet; serve the nodes on etcd (--store etcd://...) with data-plane nodes to canary a change", List.of());
    }
    return c;
  }

  /** Whether an apply request asks for a canary. */
  static boolean wantsCanary(ApiRequest r) {
    for (String p : APPLY_PARAMETERS) {
      if (r.query().containsKey(p)) return true;
    }
    return false;
  }

  /** {@code POST /api/v1/apply?canary=...}: starts the canary of {@code objects}. */
  ApiResponse start(ApiRequest r, List<ConfigObject<?>> objects, String message) throws ConfigException, StoreConflictException {
    return Wire.render(r, HttpResponseStatus.OK, canary(start(r, objects, message, 0)));
  }

  /** Whether this node can start canaries (it has a fleet). */
  boolean available() {
    return control != null;
  }

  /**
   * Starts the canary of {@code objects} that {@code r}'s canary parameters ask for (as {@code apply?canary=} takes them),
   * for the change request {@code change} (0: none).
   */
  Canary start(ApiRequest r, List<ConfigObject<?>> objects, String message, long change) throws ConfigException,
      StoreConflictException {
    String selector = r.query().get("canary");
    if (selector == null || selector.isBlank()) {
      throw ApiError.badRequest("query parameter canary is required with the other canary parameters: a label selector such as"
          + " zone=a or a percentage such as 10%");
    }
    if (r.booleanParameter("dryRun")) throw ApiError.badRequest("dryRun and canary do not go together: check the change with dryRun first");
    if (r.query().containsKey("baseRevision")) {
      throw ApiError.badRequest("baseRevision and canary do not go together: a canary is checked against the store's revision when"
          + " it starts, and promoted only if nothing changed since");
    }
    Canary.AutoAbort d = Canary.AutoAbort.DEFAULTS;
    String enabled = r.query().get("canaryAutoAbort");
    if (enabled != null && !enabled.equals("true") && !enabled.equals("false")) {
      throw ApiError.badRequest("query parameter canaryAutoAbort must be true or false, got '" + enabled + "'");
    }
    double margin = d.errorRateMargin();
    String m = r.query().get("canaryErrorMargin");
    if (m != null) margin = percent("canaryErrorMargin", m);
    Canary.AutoAbort policy;
    try {
      policy = new Canary.AutoAbort(enabled == null || enabled.equals("true"), margin,
          duration(r, "canaryP99Margin", d.p99Margin()), duration(r, "canaryWindow", d.window()),
          (int) r.longParameter("canaryMinRequests", d.minRequests(), 1, 1_000_000));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(String.valueOf(e.getMessage()));
    }
    return control().start(objects, selector.strip(), policy, r.principal().name(), message, change);
  }

  /** How the canary {@code id} ended, from the canary history; null while it runs, without a fleet, or when it is not there. */
  @Nullable CanaryOutcome ended(String id) {
    CanaryControl c = control;
    if (c == null) return null;
    Canary running = c.active();
    if (running != null && running.id().equals(id)) return null;
    for (CanaryOutcome o : c.status().history()) {
      if (o.id().equals(id)) return o;
    }
    return null;
  }

  /** Aborts the canary {@code id} that was started for a change request that could not be marked as in canary. */
  void abandon(String id, String by, String reason) {
    control().abort(id, by, reason);
  }

  private static double percent(String name, String v) {
    String expected = "query parameter " + name + " must be a percentage from 0% to 100% such as 5%, got '" + v + "'";
    if (!v.endsWith("%")) throw ApiError.badRequest(expected);
    try {
      double p = Double.parseDouble(v.substring(0, v.length() - 1));
      if (!(p >= 0 && p <= 100)) throw ApiError.badRequest(expected);
      return p / 100;
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(expected);
    }
  }

  private static Duration duration(ApiRequest r, String name, Duration dflt) {
    String v = r.query().get(name);
    if (v == null) return dflt;
    try {
      Duration d = Durations.parse(v);
      if (d.isZero() || d.isNegative()) throw new IllegalArgumentException("zero");
      return d;
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("query parameter " + name + " must be a positive duration such as 250ms, 5s or 1m, got '" + v + "'");
    }
  }

  /** {@code GET /api/v1/canary}. */
  ApiResponse status(ApiRequest r) {
    CanaryControl.Status s = control().status();
    ObjectNode n = Wire.object();
    Canary c = s.canary();
    if (c == null) {
      n.putNull("canary");
    } else {
      n.set("canary", canary(c));
    }
    CanaryControl.Comparison cmp = s.comparison();
    if (cmp == null) {
      n.putNull("comparison");
    } else {
      ObjectNode o = n.putObject("comparison");
      side(o.putObject("canary"), cmp.canary());
      side(o.putObject("rest"), cmp.rest());
      o.put("verdict", cmp.verdict());
      Instant since = cmp.worseSince();
      o.put("worseSince", since == null ? null : since.toString());
    }
    ArrayNode history = n.putArray("history");
    for (CanaryOutcome o : s.history()) history.add(outcome(o));
    n.put("controller", s.controller());
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  /** {@code POST /api/v1/canary/promote}. */
  ApiResponse promote(ApiRequest r) throws ConfigException, StoreConflictException {
    Body b = body(r, false);
    return Wire.render(r, HttpResponseStatus.OK, outcome(control().promote(b.id, r.principal().name())));
  }

  /** {@code POST /api/v1/canary/abort}. */
  ApiResponse abort(ApiRequest r) {
    Body b = body(r, true);
    String reason = b.reason != null ? b.reason : "aborted by " + r.principal().name();
    return Wire.render(r, HttpResponseStatus.OK, outcome(control().abort(b.id, r.principal().name(), reason)));
  }

  private record Body(String id, @Nullable String reason) {}

  private static Body body(ApiRequest r, boolean reason) {
    String expected = reason ? "expected {\"id\": \"c-...\", \"reason\": \"why\"} (reason optional), id the running canary's"
        : "expected {\"id\": \"c-...\"}, id the running canary's";
    if (r.bodyText().isBlank()) throw ApiError.badRequest("the request body is empty; " + expected);
    JsonNode body = Wire.parse(r.bodyText(), Wire.bodyIsYaml(r));
    if (!body.isObject()) throw ApiError.badRequest("the request body must be an object; " + expected);
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!e.getKey().equals("id") && !(reason && e.getKey().equals("reason"))) {
        throw ApiError.badRequest("unknown field '" + e.getKey() + "' in the request body; " + expected);
      }
    }
    JsonNode id = body.path("id");
    if (!id.isTextual() || id.asText().isBlank()) throw ApiError.badRequest("id is required; " + expected);
    JsonNode why = body.path("reason");
    if (!why.isMissingNode() && !why.isNull() && !why.isTextual()) throw ApiError.badRequest("reason must be a string; " + expected);
    return new Body(id.asText(), why.isTextual() ? why.asText() : null);
  }

  /**
   * {@code table} with every other write refused while a canary runs (409 {@code canary_running}),
   * unless it says {@code force=true}: then the canary is aborted first, recorded as aborted by the
   * writer. Dry runs, reads and the canary's own requests pass.
   */
  RouteTable guardingWrites(RouteTable table) {
    CanaryControl c = control;
    if (c == null) return table;
    RouteTable.Builder b = RouteTable.builder();
    for (RouteTable.Route route : table.routes()) {
      RouteTable.Handler h = route.handler();
      if (route.template().startsWith("/api/v1/canary")) {
        b.add(route);
        continue;
      }
      b.add(new RouteTable.Route(route.method(), route.template(), route.queryParameters(), route.role(), request -> {
        if (route.role().apply(request.query()) == Role.EDITOR && !wantsCanary(request)) {
          Canary running;
          try {
            running = c.active();
          } catch (StoreException e) {
            // etcd away: the store answers for itself (a node serving its cache refuses with its own message); a
            // write that lands moves the store under the canary, which the controller then ends as aborted.
            running = null;
          }
          if (running != null) {
            if (!request.booleanParameter("force")) throw running(running, route.queryParameters() != null
                && route.queryParameters().contains("force"));
            c.abortForWrite(request.principal().name(), request.method() + " " + request.path());
          }
        }
        return h.handle(request);
      }));
    }
    return b.build();
  }

  private static ApiError running(Canary c, boolean forceable) {
    return ApiError.conflict("canary_running", "canary " + c.id() + " (" + c.selector() + " on " + String.join(", ", c.nodes())
        + ", started by " + c.author() + " at " + c.startedAt() + ") is running; only one change at a time: promote it"
        + " (sluice canary promote) or abort it (sluice canary abort) first"
        + (forceable ? ", or pass --force (force=true) to abort it and apply this change" : ""), List.of());
  }

  static ObjectNode canary(Canary c) {
    ObjectNode n = Wire.object();
    n.put("id", c.id());
    n.put("selector", c.selector());
    ArrayNode nodes = n.putArray("nodes");
    c.nodes().forEach(nodes::add);
    n.put("baseRevision", c.baseRevision());
    ArrayNode objects = n.putArray("objects");
    c.objects().forEach(o -> objects.add(o.ref().toString()));
    n.put("author", c.author());
    n.put("message", c.message());
    n.put("startedAt", c.startedAt().toString());
    if (c.change() > 0) {
      n.put("change", c.change());
    } else {
      n.putNull("change");
    }
    Canary.AutoAbort a = c.autoAbort();
    n.putObject("autoAbort").put("enabled", a.enabled()).put("errorRateMargin", a.errorRateMargin())
        .put("p99MarginMillis", a.p99Margin().toMillis()).put("windowSeconds", a.window().toMillis() / 1000.0)
        .put("minRequests", a.minRequests());
    return n;
  }

  private static void side(ObjectNode n, CanaryControl.Side s) {
    ArrayNode nodes = n.putArray("nodes");
    s.nodes().forEach(nodes::add);
    n.put("requests", s.requests());
    n.put("errors", s.errors());
    n.put("errorRate", s.errorRate());
    n.put("p99Millis", s.p99().toNanos() / 1e6);
    n.put("windowSeconds", s.window().toMillis() / 1000.0);
  }

  static ObjectNode outcome(CanaryOutcome o) {
    ObjectNode n = Wire.object();
    n.put("id", o.id());
    n.put("state", o.state());
    n.put("selector", o.selector());
    ArrayNode nodes = n.putArray("nodes");
    o.nodes().forEach(nodes::add);
    n.put("baseRevision", o.baseRevision());
    n.put("revision", o.revision());
    n.put("by", o.by());
    n.put("reason", o.reason());
    n.put("time", o.time().toString());
    return n;
  }
}
