package io.sluice.admin.internal.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.sluice.admin.AdminToken;
import io.sluice.admin.ChangeReview;
import io.sluice.admin.internal.AdminHttpHandler;
import io.sluice.admin.internal.ApiError;
import io.sluice.admin.internal.ApiResponse;
import io.sluice.admin.internal.Authenticator;
import io.sluice.admin.internal.BrowserGuard;
import io.sluice.admin.internal.Diffs;
import io.sluice.admin.internal.Kinds;
import io.sluice.admin.internal.Principal;
import io.sluice.admin.internal.Wire;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.store.ConfigStore;
import io.sluice.store.Snapshot;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Serves the web console under {@code /console/}: its two pages, its versioned static assets, the
 * login session ({@code /console/session}) and the paginated object lists the browse pages read
 * ({@code /console/data/KINDS}). Everything else the console shows it reads from the admin API
 * ({@code /api/v1/...}) with the session cookie.
 *
 * <p>Admission: the browser rules ({@link BrowserGuard}) run first on every path. With tokens, only
 * the login page, its two assets and the login itself are served without a session (or a bearer
 * token); the console page redirects to the login page, anything else answers 401. Without tokens
 * (a loopback listener) every request is {@code local}'s and there is no login.
 *
 * <p>Every answer carries the console's {@code Content-Security-Policy} (scripts and styles from
 * the admin API's own origin only, no inline script, no frames), {@code X-Frame-Options: DENY} and
 * {@code Referrer-Policy: no-referrer}.
 *
 * <p>Thread-safe; handles requests on the admin API's request threads.
 */
public final class ConsoleHandler implements AdminHttpHandler.Mount {
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private static final Map<String, String> SECURITY = Map.of(
      "Content-Security-Policy", CSP,
      "X-Frame-Options", "DENY",
      "Referrer-Policy", "no-referrer",
      "X-Content-Type-Options", "nosniff");
  private static final String HTML = "text/html; charset=utf-8";
  private static final int DEFAULT_PAGE = 50;
  private static final int MAX_PAGE = 500;
  private static final int OBJECTS_SHOWN = 5;

  private final ConfigStore store;
  private final BrowserGuard guard;
  private final Authenticator authenticator;
  private final ConsoleSessions sessions;
  private final boolean secureCookie;
  private final ChangeReview review;
  private final ConsoleAssets assets = new ConsoleAssets();

  /**
   * @param secureCookie whether the session cookie carries {@code Secure}: when browsers reach the
   *     admin API over HTTPS (off loopback, through a TLS-terminating proxy); docs/security.md says
   *     why a loopback listener's cookie does not
   * @param review the change workflow's settings: the session tells the pages whether the editor
   *     proposes instead of applying, and how many approvals a change request needs
   */
  public ConsoleHandler(ConfigStore store, BrowserGuard guard, Authenticator authenticator, ConsoleSessions sessions,
      boolean secureCookie, ChangeReview review) {
    this.review = review;
    this.store = store;
    this.guard = guard;
    this.authenticator = authenticator;
    this.sessions = sessions;
    this.secureCookie = secureCookie;
  }

  @Override
  public boolean owns(String path) {
    return path.equals("/console") || path.startsWith("/console/");
  }

  @Override
  public ApiResponse handle(HttpMethod method, QueryStringDecoder uri, HttpHeaders headers, byte[] body, InetSocketAddress local) {
    ApiResponse r;
    try {
      guard.checkSource(headers, local);
      r = route(method, uri, headers, body);
    } catch (ApiError e) {
      r = new ApiResponse(e.status(), Wire.JSON_TYPE, Wire.errorBody(e), e.headers());
    }
    Map<String, String> h = new HashMap<>(SECURITY);
    h.putAll(r.headers());
    return new ApiResponse(r.status(), r.contentType(), r.body(), h);
  }

  private ApiResponse route(HttpMethod method, QueryStringDecoder uri, HttpHeaders headers, byte[] body) {
    String path = uri.path();
    if (path.equals("/console")) return redirect(HttpResponseStatus.PERMANENT_REDIRECT, "/console/");
    if (path.equals("/console/")) {
      only(method, path, HttpMethod.GET);
      if (!authenticator.open() && !signedIn(headers)) return redirect(HttpResponseStatus.SEE_OTHER, "/console/login");
      return new ApiResponse(HttpResponseStatus.OK, HTML, assets.index());
    }
    if (path.equals("/console/login")) {
      only(method, path, HttpMethod.GET);
      if (authenticator.open()) return redirect(HttpResponseStatus.SEE_OTHER, "/console/");
      return new ApiResponse(HttpResponseStatus.OK, HTML, assets.login());
    }
    if (path.equals("/console/session")) {
      if (method.equals(HttpMethod.POST)) return login(method, path, headers, body);
      if (method.equals(HttpMethod.GET)) return session(headers);
      if (method.equals(HttpMethod.DELETE)) return logout(headers);
      throw ApiError.methodNotAllowed(method.name(), path, List.of("GET", "POST", "DELETE"));
    }
    if (path.startsWith("/console/assets/")) {
      only(method, path, HttpMethod.GET);
      return asset(path, headers);
    }
    if (path.equals("/console/data/counts")) {
      only(method, path, HttpMethod.GET);
      authenticator.authenticate(method, headers);
      return counts();
    }
    if (path.equals("/console/data/revisions")) {
      only(method, path, HttpMethod.GET);
      authenticator.authenticate(method, headers);
      return revisions(uri.parameters());
    }
    if (path.equals("/console/data/diff")) {
      only(method, path, HttpMethod.GET);
      return diff(authenticator.authenticate(method, headers), uri.parameters());
    }
    if (path.startsWith("/console/data/")) {
      only(method, path, HttpMethod.GET);
      Principal who = authenticator.authenticate(method, headers);
      return list(who, path.substring("/console/data/".length()), uri.parameters());
    }
    throw ApiError.notFound("no such path: " + path);
  }

  private static void only(HttpMethod method, String path, HttpMethod allowed) {
    if (!method.equals(allowed)) throw ApiError.methodNotAllowed(method.name(), path, List.of(allowed.name()));
  }

  private boolean signedIn(HttpHeaders headers) {
    try {
      authenticator.authenticate(HttpMethod.GET, headers);
      return true;
    } catch (ApiError e) {
      return false;
    }
  }

  private ApiResponse asset(String path, HttpHeaders headers) {
    String rest = path.substring("/console/assets/".length());
    int slash = rest.indexOf('/');
    ConsoleAssets.Asset a = slash < 0 ? null : assets.asset(rest.substring(slash + 1));
    if (a == null || !rest.substring(0, slash).equals(assets.version())) throw ApiError.notFound("no such console asset: " + path);
    if (!a.isPublic()) authenticator.authenticate(HttpMethod.GET, headers);
    // Versioned: the bytes under this path never change, so the browser need not ask again.
    return new ApiResponse(HttpResponseStatus.OK, a.contentType(), a.bytes(),
        Map.of("Cache-Control", "private, max-age=31536000, immutable"));
  }

  /** {@code POST /console/session} with {@code {"token": "..."}}: checks the token and starts a session. */
  private ApiResponse login(HttpMethod method, String path, HttpHeaders headers, byte[] body) {
    guard.checkContentType(method, path, headers);
    if (authenticator.open()) {
      throw ApiError.notFound("this admin API has no tokens: the console needs no login (open /console/)");
    }
    JsonNode n = Wire.parse(new String(body, StandardCharsets.UTF_8), false);
    JsonNode token = n.get("token");
    if (token == null || !token.isTextual() || token.asText().isBlank()) {
      throw ApiError.badRequest("the login body must be {\"token\": \"<admin token>\"}");
    }
    Principal who = authenticator.authenticate("Bearer " + token.asText());
    ConsoleSessions.Session s = sessions.create(who);
    return new ApiResponse(HttpResponseStatus.OK, Wire.JSON_TYPE, json(describe(who, s)), Map.of("Set-Cookie", cookie(s.id(), false)));
  }

  /** {@code GET /console/session}: who is signed in, and the CSRF token the console sends with writes. */
  private ApiResponse session(HttpHeaders headers) {
    Principal who = authenticator.authenticate(HttpMethod.GET, headers);
    ConsoleSessions.Session s = headers.get("Authorization") == null ? sessions.find(headers) : null;
    return new ApiResponse(HttpResponseStatus.OK, Wire.JSON_TYPE, json(describe(who, s)));
  }

  /** {@code DELETE /console/session}: ends the session (CSRF token required) and clears the cookie. */
  private ApiResponse logout(HttpHeaders headers) {
    ConsoleSessions.Session s = sessions.find(headers);
    if (s == null) throw ApiError.unauthorized("no console session to end");
    sessions.authenticate(HttpMethod.DELETE, headers);
    sessions.end(s);
    return new ApiResponse(HttpResponseStatus.OK, Wire.JSON_TYPE, json(Wire.object().put("signedOut", true)),
        Map.of("Set-Cookie", cookie("", true)));
  }

  private ObjectNode describe(Principal who, ConsoleSessions.@Nullable Session s) {
    ObjectNode n = Wire.object();
    n.put("name", who.name());
    ArrayNode roles = n.putArray("roles");
    who.roles().stream().sorted().map(AdminToken.Role::displayName).forEach(roles::add);
    // Whether the pages offer Apply and Rollback: the API decides, this only spares a refusal.
    n.put("write", who.may(AdminToken.Role.EDITOR));
    n.put("login", !authenticator.open());
    // Whether the editor's save proposes a change request (the API refuses direct writes then).
    n.putObject("review").put("required", review.required()).put("approvals", review.approvals());
    if (s != null) n.put("csrf", s.csrf());
    ArrayNode kinds = n.putArray("kinds");
    Kinds.plurals().forEach(kinds::add);
    return n;
  }

  /**
   * The session cookie: for the whole admin API ({@code Path=/}, so {@code /api/} calls carry it),
   * out of scripts' reach, never sent by a request another site starts; {@code Secure} when browsers
   * reach the API over HTTPS. No {@code Max-Age}: it lasts the browser's session, and the server ends
   * the session itself (idle, lifetime, logout).
   */
  private String cookie(String value, boolean clear) {
    return ConsoleSessions.COOKIE + "=" + value + "; Path=/" + (clear ? "; Max-Age=0" : "") + "; HttpOnly; SameSite=Strict"
        + (secureCookie ? "; Secure" : "");
  }

  /**
   * {@code GET /console/data/KINDS?offset=&limit=&q=}: one page of a kind's objects, sorted by
   * name, those whose name contains {@code q}; credentials redacted for viewers as everywhere.
   */
  private ApiResponse list(Principal who, String plural, Map<String, List<String>> params) {
    Kind kind = Kinds.fromPlural(plural);
    if (kind == null) throw ApiError.notFound("no such kind '" + plural + "'; expected one of " + String.join(", ", Kinds.plurals()));
    for (String p : params.keySet()) {
      if (!List.of("offset", "limit", "q").contains(p)) throw ApiError.badRequest("unknown query parameter '" + p + "'; takes offset, limit, q");
    }
    int offset = number(params, "offset", 0, Integer.MAX_VALUE, 0);
    int limit = number(params, "limit", 1, MAX_PAGE, DEFAULT_PAGE);
    String q = params.getOrDefault("q", List.of("")).getFirst().toLowerCase(Locale.ROOT);
    Snapshot s = store.snapshot();
    List<ConfigObject<?>> all = s.objects().stream().filter(o -> o.kind() == kind)
        .filter(o -> q.isEmpty() || o.name().toLowerCase(Locale.ROOT).contains(q))
        .sorted(Comparator.comparing(ConfigObject::name)).toList();
    ObjectNode n = Wire.object();
    n.put("revision", s.revision());
    n.put("total", all.size());
    n.put("offset", offset);
    ArrayNode items = n.putArray("items");
    all.stream().skip(offset).limit(limit).forEach(o -> items.add(Wire.treeFor(who, o)));
    return new ApiResponse(HttpResponseStatus.OK, Wire.JSON_TYPE, json(n));
  }

  /** {@code GET /console/data/counts}: how many objects of each kind there are, for the overview. */
  private ApiResponse counts() {
    Snapshot s = store.snapshot();
    Map<Kind, Integer> by = new java.util.EnumMap<>(Kind.class);
    s.objects().forEach(o -> by.merge(o.kind(), 1, Integer::sum));
    ObjectNode n = Wire.object();
    n.put("revision", s.revision());
    ObjectNode counts = n.putObject("counts");
    for (Kind k : Kind.values()) counts.put(Kinds.plural(k), by.getOrDefault(k, 0));
    return new ApiResponse(HttpResponseStatus.OK, Wire.JSON_TYPE, json(n));
  }

  /**
   * {@code GET /console/data/revisions?limit=N}: the last N revisions, newest first, each with the
   * first {@value #OBJECTS_SHOWN} objects it changed and their number (one revision may change
   * thousands; {@code /api/v1/revisions} lists them all).
   */
  private ApiResponse revisions(Map<String, List<String>> params) {
    for (String p : params.keySet()) {
      if (!p.equals("limit")) throw ApiError.badRequest("unknown query parameter '" + p + "'; takes limit");
    }
    int limit = number(params, "limit", 1, MAX_PAGE, DEFAULT_PAGE);
    long current = store.revision();
    List<io.sluice.store.RevisionInfo> infos = new java.util.ArrayList<>(store.revisions(Math.max(0, current - limit), limit));
    java.util.Collections.reverse(infos);
    ObjectNode n = Wire.object();
    n.put("revision", current);
    ArrayNode items = n.putArray("items");
    for (io.sluice.store.RevisionInfo info : infos) {
      ObjectNode i = items.addObject();
      i.put("revision", info.revision());
      i.put("time", info.time().toString());
      i.put("author", info.author());
      i.put("message", info.message());
      i.put("objectCount", info.objects().size());
      ArrayNode objects = i.putArray("objects");
      info.objects().stream().limit(OBJECTS_SHOWN).forEach(o -> objects.add(o.toString()));
    }
    return new ApiResponse(HttpResponseStatus.OK, Wire.JSON_TYPE, json(n));
  }

  /**
   * {@code GET /console/data/diff?from=A&to=B}: how the whole configuration changed from revision A
   * to revision B, one unified diff per object that differs (credentials redacted for viewers).
   */
  private ApiResponse diff(Principal who, Map<String, List<String>> params) {
    for (String p : params.keySet()) {
      if (!List.of("from", "to").contains(p)) throw ApiError.badRequest("unknown query parameter '" + p + "'; takes from, to");
    }
    long current = store.revision();
    int max = (int) Math.min(Integer.MAX_VALUE, current);
    if (!params.containsKey("from") || !params.containsKey("to")) throw ApiError.badRequest("give both revisions: from=A&to=B");
    long from = number(params, "from", 0, max, 0);
    long to = number(params, "to", 0, max, 0);
    Map<ObjectRef, ConfigObject<?>> a = byRef(store.snapshotAt(from));
    Map<ObjectRef, ConfigObject<?>> b = byRef(store.snapshotAt(to));
    java.util.TreeSet<ObjectRef> refs = new java.util.TreeSet<>(a.keySet());
    refs.addAll(b.keySet());
    ObjectNode n = Wire.object();
    n.put("from", from);
    n.put("to", to);
    ArrayNode changes = n.putArray("changes");
    for (ObjectRef ref : refs) {
      String d = Diffs.unified(ref, a.get(ref), b.get(ref), false, !Wire.seesCredentials(who));
      if (d.isEmpty()) continue;
      changes.addObject().put("kind", ref.kind().displayName()).put("name", ref.name())
          .put("op", a.get(ref) == null ? "created" : b.get(ref) == null ? "deleted" : "updated").put("diff", d);
    }
    return new ApiResponse(HttpResponseStatus.OK, Wire.JSON_TYPE, json(n));
  }

  private static Map<ObjectRef, ConfigObject<?>> byRef(Snapshot s) {
    Map<ObjectRef, ConfigObject<?>> m = new HashMap<>();
    s.objects().forEach(o -> m.put(ObjectRef.of(o), o));
    return m;
  }

  private static int number(Map<String, List<String>> params, String name, int min, int max, int dflt) {
    List<String> v = params.get(name);
    if (v == null) return dflt;
    try {
      int i = Integer.parseInt(v.getFirst());
      if (i >= min && i <= max) return i;
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiError.badRequest("query parameter '" + name + "' is '" + v.getFirst() + "'; expected a whole number from " + min + " to " + max);
  }

  private static ApiResponse redirect(HttpResponseStatus status, String location) {
    return new ApiResponse(status, HTML, new byte[0], Map.of("Location", location));
  }

  private static byte[] json(JsonNode n) {
    try {
      return Wire.JSON.writeValueAsBytes(n);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the console's JSON", e);
    }
  }
}
