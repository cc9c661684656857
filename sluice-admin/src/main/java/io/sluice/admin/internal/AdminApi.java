package io.sluice.admin.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.admin.AdminEndpoint;
import io.sluice.admin.AdminToken.Role;
import io.sluice.admin.NodeStatus;
import io.sluice.admin.RouteTestRequest;
import io.sluice.admin.RouteTestResult;
import io.sluice.admin.RouteTester;
import io.sluice.api.ConfigDirOwnership;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.store.Applied;
import io.sluice.store.Change;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.HistoryEntry;
import io.sluice.store.NodeRecord;
import io.sluice.store.ObjectChange;
import io.sluice.store.RevisionInfo;
import io.sluice.store.Snapshot;
import io.sluice.store.StoreConflictException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's handlers and the route table that maps requests to them (the contract is
 * {@code /api/v1/openapi.json}). Handlers run on virtual threads and call the store directly; the
 * store's exceptions are turned into answers by {@link AdminHttpHandler}.
 */
public final class AdminApi {
  /** The {@link ConfigObject#source()} and {@link ConfigError#source()} of objects sent to the API. */
  static final String SOURCE = "<api>";
  private static final String OPENAPI_RESOURCE = "/io/sluice/admin/openapi.json";
  private static final int DEFAULT_REVISIONS_LIMIT = 100;
  private static final int MAX_REVISIONS_LIMIT = 1000;
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");

  private static final Function<Map<String, String>, Role> VIEWER = q -> Role.VIEWER;
  private static final Function<Map<String, String>, Role> EDITOR = q -> Role.EDITOR;
  private static final Function<Map<String, String>, Role> EDITOR_UNLESS_DRY_RUN =
      q -> "true".equals(q.get("dryRun")) ? Role.VIEWER : Role.EDITOR;

  private final ConfigStore store;
  private final Supplier<NodeStatus> nodeStatus;
  private final RouteTester routeTester;
  private final Supplier<?> stats;
  private final Clock clock;
  private final byte[] openApi;
  /** The config directory as the operator gave it ({@code --config-dir}), to name it; null when unknown. */
  private final @Nullable String configDir;
  private final CanaryApi canary;
  private final ChangeRequestsApi changes;

  private AdminApi(ConfigStore store, Supplier<NodeStatus> nodeStatus, RouteTester routeTester, Supplier<?> stats, Clock clock,
      @Nullable String configDir, CanaryApi canary, ChangeRequestsApi changes) {
    this.store = store;
    this.changes = changes;
    this.canary = canary;
    this.configDir = configDir;
    this.nodeStatus = nodeStatus;
    this.routeTester = routeTester;
    this.stats = stats;
    this.clock = clock;
    this.openApi = openApiDocument();
  }

  /**
   * The admin API's routes, plus a GET route for each of {@code endpoints} (path → endpoint).
   *
   * @param stats what {@code GET /api/v1/stats} serves: an object Jackson can write
   * @param configDir the config directory whose objects ({@link ConfigDirOwnership}) writes refuse unless forced, as
   *     named in the refusal; null when the server has none or does not say
   */
  public static RouteTable routes(ConfigStore store, Supplier<NodeStatus> nodeStatus, RouteTester routeTester,
      Supplier<?> stats, Clock clock, Map<String, AdminEndpoint> endpoints, @Nullable String configDir) {
    return routes(store, nodeStatus, routeTester, stats, clock, endpoints, configDir, null, null, null,
        io.sluice.admin.ChangeReview.OFF, io.sluice.admin.AdminEvents.NONE, failedOnly -> List.of(), id -> null);
  }

  /**
   * The admin API's routes on a node of a fleet.
   *
   * @param nodes what {@code GET /api/v1/nodes} lists (the fleet's registrations); null: this node alone, from its status
   * @param writeRefusal on a node that takes no writes (a data-plane node), why, with where writes go: every
   *     request that would write answers 403 with it (reason {@code read_only_node}); null: writes are served
   * @param canary the fleet's config canary; null: no fleet, canary requests are refused
   * @param review the change workflow's settings; {@code events} hears its state changes and rollbacks
   * @param deliveries the recent webhook deliveries ({@code true}: only the dead letters)
   * @param redeliver sends the dead letter with the given id again; null when there is none
   */
  public static RouteTable routes(ConfigStore store, Supplier<NodeStatus> nodeStatus, RouteTester routeTester,
      Supplier<?> stats, Clock clock, Map<String, AdminEndpoint> endpoints, @Nullable String configDir,
      @Nullable Supplier<List<NodeRecord>> nodes, @Nullable Supplier<String> writeRefusal, io.sluice.admin.@Nullable CanaryControl canary,
      io.sluice.admin.ChangeReview review, io.sluice.admin.AdminEvents events,
      Function<Boolean, List<io.sluice.admin.WebhookDelivery>> deliveries,
      Function<String, io.sluice.admin.@Nullable WebhookDelivery> redeliver) {
    CanaryApi canaryApi = new CanaryApi(canary);
    AdminApi api = new AdminApi(store, nodeStatus, routeTester, stats, clock, configDir, canaryApi,
        new ChangeRequestsApi(store, review, clock, events, canaryApi));
    Fleet fleet = new Fleet(store, nodes != null ? nodes : () -> List.of(api.self()), canary != null ? canary::active : () -> null,
        clock);
    Set<String> out = Set.of("output");
    Set<String> rollback = Set.of("dryRun", "baseRevision", "message", "force", "output");
    RouteTable.Builder b = RouteTable.builder()
        .add(route(HttpMethod.GET, "/api/v1/status", out, VIEWER, api::status))
        .add(route(HttpMethod.GET, "/api/v1/stats", out, VIEWER, api::stats))
        .add(route(HttpMethod.GET, "/api/v1/nodes", out, VIEWER, fleet::nodes))
        .add(route(HttpMethod.GET, "/api/v1/objects", out, VIEWER, api::allObjects))
        .add(route(HttpMethod.POST, "/api/v1/apply", applyParameters(), EDITOR_UNLESS_DRY_RUN, api::apply))
        .add(route(HttpMethod.GET, "/api/v1/canary", out, VIEWER, api.canary::status))
        .add(route(HttpMethod.POST, "/api/v1/canary/promote", out, EDITOR, api.canary::promote))
        .add(route(HttpMethod.POST, "/api/v1/canary/abort", out, EDITOR, api.canary::abort))
        .add(route(HttpMethod.POST, "/api/v1/rollback", rollback, EDITOR_UNLESS_DRY_RUN, api::rollbackAll))
        .add(route(HttpMethod.GET, "/api/v1/revisions", Set.of("after", "limit", "output"), VIEWER, api::revisions))
        .add(route(HttpMethod.POST, "/api/v1/route-test", out, VIEWER, api::routeTest))
        .add(route(HttpMethod.GET, "/api/v1/openapi.json", Set.of(), VIEWER, api::openApi))
        .add(route(HttpMethod.GET, "/api/v1/{kinds}", out, VIEWER, api::list))
        .add(route(HttpMethod.POST, "/api/v1/{kinds}", out, EDITOR, api::create))
        .add(route(HttpMethod.GET, "/api/v1/{kinds}/{name}", out, VIEWER, api::getOne))
        .add(route(HttpMethod.PUT, "/api/v1/{kinds}/{name}", Set.of("force", "output"), EDITOR, api::put))
        .add(route(HttpMethod.DELETE, "/api/v1/{kinds}/{name}", Set.of("revision", "force", "output"), EDITOR, api::delete))
        .add(route(HttpMethod.GET, "/api/v1/{kinds}/{name}/history", out, VIEWER, api::history))
        .add(route(HttpMethod.POST, "/api/v1/{kinds}/{name}/rollback", rollback, EDITOR_UNLESS_DRY_RUN, api::rollbackOne));
    endpoints.forEach((path, endpoint) -> b.add(route(HttpMethod.GET, path, null, VIEWER,
        r -> new ApiResponse(HttpResponseStatus.OK, endpoint.contentType(), Wire.utf8(endpoint.get())))));
    api.changes.register(b);
    b.add(DeliveriesApi.route(deliveries)).add(DeliveriesApi.redeliverRoute(redeliver));
    RouteTable table = api.canary.guardingWrites(api.changes.guardingWrites(b.build()));
    return writeRefusal == null ? table : Fleet.refusingWrites(table, writeRefusal);
  }

  private static Set<String> applyParameters() {
    Set<String> p = new java.util.HashSet<>(Set.of("dryRun", "baseRevision", "message", "force", "output"));
    p.addAll(CanaryApi.APPLY_PARAMETERS);
    return p;
  }

  /** This node alone as the fleet, for a server that was given no membership. */
  private NodeRecord self() {
    NodeStatus s = nodeStatus.get();
    NodeStatus.ApplyError e = s.lastApplyError();
    return new NodeRecord(s.nodeId(), "", "all", s.version(), Map.of(), s.appliedRevision(),
        e == null ? null : new NodeRecord.ApplyError(e.revision(), e.message(), e.time()), s.startedAt());
  }

  private static RouteTable.Route route(HttpMethod method, String path, @Nullable Set<String> query,
      Function<Map<String, String>, Role> role, RouteTable.Handler handler) {
    return new RouteTable.Route(method, path, query, role, handler);
  }

  // ---- status, reads

  private ApiResponse status(ApiRequest r) {
    NodeStatus s = nodeStatus.get();
    ObjectNode n = Wire.object();
    n.put("nodeId", s.nodeId());
    n.put("version", s.version());
    n.put("storeRevision", store.revision());
    n.put("appliedRevision", s.appliedRevision());
    n.put("uptimeSeconds", Math.max(0, Duration.between(s.startedAt(), clock.instant()).toSeconds()));
    n.put("startedAt", s.startedAt().toString());
    n.put("tlsProvider", s.tlsProvider());
    ArrayNode listeners = n.putArray("listeners");
    new TreeMap<>(s.listeners()).forEach((name, address) -> listeners.addObject().put("name", name).put("address", address));
    ArrayNode skipped = n.putArray("skippedObjects");
    new TreeMap<>(s.skippedObjects()).forEach((object, error) -> skipped.addObject().put("object", object).put("error", error));
    NodeStatus.ApplyError failed = s.lastApplyError();
    if (failed == null) {
      n.putNull("lastApplyError");
    } else {
      n.putObject("lastApplyError").put("revision", failed.revision()).put("message", failed.message())
          .put("time", failed.time().toString());
    }
    NodeStatus.StoreState store = s.store();
    if (store != null) storeState(n.putObject("store"), store);
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  private static void storeState(ObjectNode n, NodeStatus.StoreState s) {
    n.put("reachable", s.reachable());
    n.put("unreachableReason", s.unreachableReason());
    n.put("unreachableSince", s.unreachableSince() == null ? null : String.valueOf(s.unreachableSince()));
    NodeStatus.CacheUse cache = s.cache();
    if (cache == null) {
      n.putNull("servingFromCache");
    } else {
      n.putObject("servingFromCache").put("revision", cache.revision()).put("writtenAt", cache.writtenAt().toString())
          .put("since", cache.since().toString());
    }
    n.put("leader", s.leader());
  }

  private ApiResponse stats(ApiRequest r) {
    JsonNode tree = Wire.JSON.valueToTree(stats.get());
    return Wire.render(r, HttpResponseStatus.OK, tree);
  }

  private ApiResponse allObjects(ApiRequest r) {
    Snapshot s = store.snapshot();
    return Wire.render(r, HttpResponseStatus.OK, items(r.principal(), s.revision(), s.objects()));
  }

  private ApiResponse list(ApiRequest r) {
    Kind kind = kind(r);
    Snapshot s = store.snapshot();
    return Wire.render(r, HttpResponseStatus.OK, items(r.principal(), s.revision(), s.objects().stream().filter(o -> o.kind() == kind).toList()));
  }

  private static ObjectNode items(Principal reader, long revision, List<ConfigObject<?>> objects) {
    ObjectNode n = Wire.object();
    n.put("revision", revision);
    ArrayNode items = n.putArray("items");
    objects.stream().sorted(Comparator.comparing(ObjectRef::of)).forEach(o -> items.add(Wire.treeFor(reader, o)));
    return n;
  }

  private ApiResponse getOne(ApiRequest r) {
    ObjectRef ref = ref(r);
    ConfigObject<?> o = store.get(ref);
    if (o == null) throw ApiError.notFound(ref + " does not exist");
    return Wire.render(r, HttpResponseStatus.OK, Wire.treeFor(r.principal(), o));
  }

  private ApiResponse history(ApiRequest r) {
    ObjectRef ref = ref(r);
    List<HistoryEntry> entries = store.history(ref);
    if (entries.isEmpty()) throw ApiError.notFound(ref + " has never existed");
    ObjectNode n = Wire.object();
    ArrayNode items = n.putArray("items");
    Map<Long, io.sluice.store.changes.ChangeRequest> published = changes.publishedByRevision();
    for (HistoryEntry h : entries) {
      ObjectNode i = items.addObject();
      i.put("revision", h.revision());
      i.put("time", h.time().toString());
      i.put("author", h.author());
      i.put("message", h.message());
      ChangeRequestsApi.link(i, h.revision(), published);
      i.put("deleted", h.deleted());
      i.set("object", Wire.treeFor(r.principal(), h.object()));
    }
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  private ApiResponse revisions(ApiRequest r) {
    long after = r.longParameter("after", 0, 0, Long.MAX_VALUE);
    int limit = (int) r.longParameter("limit", DEFAULT_REVISIONS_LIMIT, 1, MAX_REVISIONS_LIMIT);
    ObjectNode n = Wire.object();
    ArrayNode items = n.putArray("items");
    Map<Long, io.sluice.store.changes.ChangeRequest> published = changes.publishedByRevision();
    for (RevisionInfo info : store.revisions(after, limit)) {
      ObjectNode i = items.addObject();
      i.put("revision", info.revision());
      i.put("time", info.time().toString());
      i.put("author", info.author());
      i.put("message", info.message());
      ChangeRequestsApi.link(i, info.revision(), published);
      ArrayNode objects = i.putArray("objects");
      info.objects().forEach(o -> objects.add(o.toString()));
    }
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  private ApiResponse openApi(ApiRequest r) {
    return new ApiResponse(HttpResponseStatus.OK, Wire.JSON_TYPE, openApi);
  }

  // ---- writes of one object

  private ApiResponse create(ApiRequest r) throws ConfigException, StoreConflictException {
    Kind kind = kind(r);
    ConfigObject<?> o = single(r, kind, null);
    // A revision means nothing for an object that does not exist yet (it may come from another store).
    Applied a = store.apply(ChangeSet.builder().create(ConfigDirOwnership.unstamped(Diffs.withoutRevision(o)))
        .author(r.principal().name()).message("create " + o.ref()).build());
    return Wire.render(r, HttpResponseStatus.CREATED, Wire.tree(stored(a.changes().getFirst())));
  }

  private ApiResponse put(ApiRequest r) throws ConfigException, StoreConflictException {
    Kind kind = kind(r);
    ConfigObject<?> o = single(r, kind, r.pathParameter("name"));
    checkOwnership(r, ownedOf(List.of(ObjectRef.of(o))));
    Applied a = store.apply(ChangeSet.builder().put(ConfigDirOwnership.unstamped(o)).author(r.principal().name()).message("put " + o.ref()).build());
    ObjectChange c = a.changes().getFirst();
    HttpResponseStatus status = c.op() == ObjectChange.Op.CREATED ? HttpResponseStatus.CREATED : HttpResponseStatus.OK;
    return Wire.render(r, status, Wire.tree(stored(c)));
  }

  private ApiResponse delete(ApiRequest r) throws ConfigException, StoreConflictException {
    ObjectRef ref = ref(r);
    long revision = r.longParameter("revision", 0, 1, Long.MAX_VALUE);
    checkOwnership(r, ownedOf(List.of(ref)));
    Applied a = store.apply(ChangeSet.builder().change(new Change.Delete(ref, revision))
        .author(r.principal().name()).message("delete " + ref).build());
    ObjectNode n = Wire.object();
    n.put("revision", a.revision());
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  /** The object as stored after a put: the new version, or the stored one when the put changed nothing. */
  private ConfigObject<?> stored(ObjectChange c) {
    ConfigObject<?> o = c.after() != null ? c.after() : c.before() != null ? c.before() : store.get(c.ref());
    if (o == null) throw new IllegalStateException("the store reported no object for a put of " + c.ref());
    return o;
  }

  /** The one object of the body, of {@code kind} and (when given) named {@code name}. */
  private static ConfigObject<?> single(ApiRequest r, Kind kind, @Nullable String name) throws ConfigException {
    List<ConfigObject<?>> objects = readObjects(r, "one " + kind.displayName());
    if (objects.size() != 1) {
      throw ApiError.badRequest("expected one " + kind.displayName() + " in the request body, got " + objects.size()
          + " objects (send several to POST /api/v1/apply)");
    }
    ConfigObject<?> o = objects.getFirst();
    List<ConfigError> errors = new ArrayList<>();
    if (o.kind() != kind) {
      errors.add(new ConfigError(o.source(), o.ref(), "kind",
          "expected " + kind.displayName() + " (the path is " + r.path() + "), got " + o.kind().displayName()));
    }
    if (name != null && !o.name().equals(name)) {
      errors.add(new ConfigError(o.source(), o.ref(), "metadata.name",
          "must be '" + name + "' as in the path " + r.path() + ", got '" + o.name() + "'"));
    }
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return o;
  }

  /**
   * The objects of the body: JSON (one object, several, or an array) or, with a YAML content type,
   * multi-document YAML. A body that does not parse is a 400; objects that are wrong a 422.
   */
  private static List<ConfigObject<?>> readObjects(ApiRequest r, String expected) throws ConfigException {
    String text = r.bodyText();
    if (text.isBlank()) throw ApiError.badRequest("the request body is empty; expected " + expected);
    boolean yaml = Wire.bodyIsYaml(r);
    Wire.checkSyntax(text, yaml);
    List<ConfigObject<?>> objects = yaml ? ObjectCodec.readYaml(SOURCE, text) : ObjectCodec.readJson(SOURCE, text);
    if (objects.isEmpty()) throw ApiError.badRequest("the request body holds no object; expected " + expected);
    return objects;
  }

  // ---- change sets

  private ApiResponse apply(ApiRequest r) throws ConfigException, StoreConflictException {
    boolean dryRun = r.booleanParameter("dryRun");
    long base = r.longParameter("baseRevision", 0, 0, Long.MAX_VALUE);
    String message = r.query().getOrDefault("message", "");
    List<ConfigObject<?>> objects = readObjects(r, "one or more objects");
    Map<ObjectRef, ConfigObject<?>> seen = new HashMap<>();
    List<ConfigError> duplicates = new ArrayList<>();
    for (ConfigObject<?> o : objects) {
      ConfigObject<?> first = seen.putIfAbsent(ObjectRef.of(o), o);
      if (first != null) {
        duplicates.add(new ConfigError(o.source(), o.ref(), "metadata.name",
            "duplicate: " + o.ref() + " is also at " + first.source() + "; a change set holds each object once"));
      }
    }
    if (!duplicates.isEmpty()) throw new ConfigException(duplicates);
    if (CanaryApi.wantsCanary(r)) {
      checkOwnership(r, ownedOf(seen.keySet()));
      return canary.start(r, objects.stream().<ConfigObject<?>>map(ConfigDirOwnership::unstamped).toList(), message);
    }
    long current = store.revision();
    if (base > current) throw ApiError.badRequest("baseRevision " + base + " is after the store's revision " + current);
    // A dry run answers what a forced apply would do, marking the objects the directory owns.
    if (!dryRun) checkOwnership(r, ownedOf(seen.keySet()));
    ChangeSet.Builder b = ChangeSet.builder().author(r.principal().name()).message(message).baseRevision(base);
    // Only the directory marks its objects: what the API writes is the API's (an export applies as the API's).
    objects.forEach(o -> b.put(ConfigDirOwnership.unstamped(o)));
    ChangeSet changes = b.build();
    Applied a = dryRun ? store.dryRun(changes) : store.apply(changes);
    return Wire.render(r, HttpResponseStatus.OK, changes(a, dryRun, r.principal()));
  }

  /** Those of {@code refs} whose stored object the config directory owns, sorted. */
  private List<ObjectRef> ownedOf(Collection<ObjectRef> refs) {
    List<ObjectRef> owned = new ArrayList<>();
    for (ObjectRef ref : refs) {
      ConfigObject<?> stored = store.get(ref);
      if (stored != null && ConfigDirOwnership.owned(stored)) owned.add(ref);
    }
    owned.sort(Comparator.naturalOrder());
    return owned;
  }

  /**
   * Refuses (409 {@code owned_by_config_dir}) a write that would change objects the config directory
   * owns, unless the request says {@code force=true}: the directory would set them back at its next
   * change, so the edit belongs in the file. A forced write takes them over (the annotation goes).
   */
  private void checkOwnership(ApiRequest r, List<ObjectRef> owned) {
    if (owned.isEmpty() || r.booleanParameter("force")) return;
    List<String> names = owned.stream().map(ObjectRef::toString).toList();
    String dir = configDir != null ? configDir : "(annotation " + ConfigDirOwnership.ANNOTATION + ": " + ConfigDirOwnership.OWNER + ")";
    throw ApiError.conflict("owned_by_config_dir", String.join(", ", names) + (names.size() == 1 ? " is" : " are")
        + " owned by the config directory " + dir + "; edit the file, or pass --force (force=true) to take it over", names);
  }

  private ApiResponse rollbackOne(ApiRequest r) throws ConfigException, StoreConflictException {
    ObjectRef ref = ref(r);
    boolean dryRun = r.booleanParameter("dryRun");
    long current = store.revision();
    long to = target(r, current);
    checkBase(r, current);
    List<HistoryEntry> entries = store.history(ref);
    if (entries.isEmpty()) throw ApiError.notFound(ref + " has never existed");
    HistoryEntry at = null;
    for (HistoryEntry h : entries) {
      if (h.revision() <= to) at = h;
    }
    ConfigObject<?> then = at == null ? null : at.object();
    ConfigObject<?> now = store.get(ref);
    // The same content but for the directory's mark restores nothing, and takes nothing over.
    boolean same = then != null && now != null && sameContent(then, now);
    if (!dryRun && !same && now != null && ConfigDirOwnership.owned(now)) checkOwnership(r, List.of(ref));
    ChangeSet.Builder b = ChangeSet.builder().author(r.principal().name())
        .message(r.query().getOrDefault("message", "rollback " + ref + " to revision " + to))
        // Nothing the rollback touches may change between reading it here and applying.
        .baseRevision(current);
    if (same) {
      b.put(Diffs.withoutRevision(Objects.requireNonNull(now)));
    } else if (then != null) {
      b.put(ConfigDirOwnership.unstamped(Diffs.withoutRevision(then)));
    } else if (now != null) {
      b.delete(ref);
    } else {
      // Absent then and now: nothing to restore.
      ObjectNode n = changes(new Applied(current, List.of()), dryRun, r.principal());
      ((ArrayNode) n.get("changes")).addObject()
          .put("kind", ref.kind().displayName()).put("name", ref.name()).put("op", "unchanged").put("diff", "");
      return Wire.render(r, HttpResponseStatus.OK, n);
    }
    ChangeSet changes = b.build();
    Applied a = dryRun ? store.dryRun(changes) : store.apply(changes);
    if (!dryRun) this.changes.rolledBack(r.principal().name(), ref.toString(), to, a.revision());
    return Wire.render(r, HttpResponseStatus.OK, changes(a, dryRun, r.principal()));
  }

  private ApiResponse rollbackAll(ApiRequest r) throws ConfigException, StoreConflictException {
    boolean dryRun = r.booleanParameter("dryRun");
    Snapshot now = store.snapshot();
    long to = target(r, now.revision());
    checkBase(r, now.revision());
    Snapshot then = store.snapshotAt(to);
    Map<ObjectRef, ConfigObject<?>> current = new LinkedHashMap<>();
    now.objects().forEach(o -> current.put(ObjectRef.of(o), o));
    ChangeSet.Builder b = ChangeSet.builder().author(r.principal().name())
        .message(r.query().getOrDefault("message", "rollback to revision " + to))
        .baseRevision(now.revision());
    int count = 0;
    List<ObjectRef> owned = new ArrayList<>();
    for (ConfigObject<?> o : then.objects()) {
      ConfigObject<?> cur = current.remove(ObjectRef.of(o));
      if (cur == null || !sameContent(cur, o)) {
        b.put(ConfigDirOwnership.unstamped(Diffs.withoutRevision(o)));
        if (cur != null && ConfigDirOwnership.owned(cur)) owned.add(ObjectRef.of(o));
        count++;
      }
    }
    // What did not exist at the target goes; the store validates the result as a whole, so the
    // order of deletes within the change set does not matter.
    for (Map.Entry<ObjectRef, ConfigObject<?>> e : current.entrySet()) {
      b.delete(e.getKey());
      if (ConfigDirOwnership.owned(e.getValue())) owned.add(e.getKey());
      count++;
    }
    owned.sort(Comparator.naturalOrder());
    if (!dryRun) checkOwnership(r, owned);
    if (count == 0) return Wire.render(r, HttpResponseStatus.OK, changes(new Applied(now.revision(), List.of()), dryRun, r.principal()));
    ChangeSet changes = b.build();
    Applied a = dryRun ? store.dryRun(changes) : store.apply(changes);
    if (!dryRun) this.changes.rolledBack(r.principal().name(), "", to, a.revision());
    return Wire.render(r, HttpResponseStatus.OK, changes(a, dryRun, r.principal()));
  }

  /**
   * Refuses a rollback whose {@code baseRevision} (the revision its dry run answered) is no longer
   * the store's: a confirmed rollback must do what was shown, not what a change since then makes of it.
   */
  private static void checkBase(ApiRequest r, long current) {
    long base = r.longParameter("baseRevision", 0, 0, Long.MAX_VALUE);
    if (base > 0 && base != current) {
      throw ApiError.conflict("revision_mismatch", "the configuration is at revision " + current + ", not baseRevision " + base
          + ": it changed since the rollback was checked; check it again", List.of());
    }
  }

  /**
   * The revision a rollback restores: {@code to} in the JSON or YAML body ({@code {"to": 3}}), from
   * 0 to {@code current}. It is in the body, not the query, so that no body-less POST (which any
   * HTML form can send) changes the configuration.
   */
  private static long target(ApiRequest r, long current) {
    String expected = "expected {\"to\": REV}, REV the revision to restore (0 to " + current + ")";
    if (r.bodyText().isBlank()) throw ApiError.badRequest("the request body is empty; " + expected);
    JsonNode body = Wire.parse(r.bodyText(), Wire.bodyIsYaml(r));
    if (!body.isObject()) throw ApiError.badRequest("the request body must be an object; " + expected);
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!e.getKey().equals("to")) throw ApiError.badRequest("unknown field '" + e.getKey() + "' in the request body; " + expected);
    }
    JsonNode to = body.path("to");
    if (to.isMissingNode() || to.isNull()) throw ApiError.badRequest("to is required; " + expected);
    if (!to.isIntegralNumber() || !to.canConvertToLong() || to.asLong() < 0) {
      throw ApiError.badRequest("to must be a whole number from 0 to " + current + ", got " + to);
    }
    if (to.asLong() > current) throw ApiError.badRequest("to is " + to.asLong() + ", after the store's revision " + current);
    return to.asLong();
  }

  /** Whether {@code a} and {@code b} hold the same content, their revisions and the config directory's mark aside. */
  private static boolean sameContent(ConfigObject<?> a, ConfigObject<?> b) {
    return ObjectCodec.toJson(bare(a)).equals(ObjectCodec.toJson(bare(b)));
  }

  private static ConfigObject<?> bare(ConfigObject<?> o) {
    return ConfigDirOwnership.unstamped(Diffs.withoutRevision(o));
  }

  /**
   * The change set answer. Diffs leave out the config directory's mark (files never carry it), so a
   * dry run of an owned object that matches its file is {@code unchanged}; a change of an owned
   * object says {@code "managedBy": "config-dir"} (and the answer names the directory when known).
   */
  private ObjectNode changes(Applied a, boolean dryRun, Principal reader) {
    ObjectNode n = Wire.object();
    n.put("revision", a.revision());
    n.put("dryRun", dryRun);
    ArrayNode changes = n.putArray("changes");
    boolean anyOwned = false;
    for (ObjectChange c : a.changes()) {
      ConfigObject<?> before = c.before() == null ? null : ConfigDirOwnership.unstamped(c.before());
      ConfigObject<?> after = c.after() == null ? null : ConfigDirOwnership.unstamped(c.after());
      String op = c.op().name().toLowerCase(Locale.ROOT);
      if (dryRun && c.op() == ObjectChange.Op.UPDATED && before != null && after != null && sameContent(before, after)) op = "unchanged";
      ObjectNode change = changes.addObject()
          .put("kind", c.ref().kind().displayName())
          .put("name", c.ref().name())
          .put("op", op)
          .put("diff", op.equals("unchanged") ? "" : Diffs.unified(c.ref(), before, after, dryRun, !Wire.seesCredentials(reader)));
      if (c.before() != null && ConfigDirOwnership.owned(c.before())) {
        change.put("managedBy", ConfigDirOwnership.OWNER);
        anyOwned = true;
      }
    }
    if (anyOwned && configDir != null) n.put("configDir", configDir);
    return n;
  }

  // ---- route test

  private ApiResponse routeTest(ApiRequest r) {
    if (r.bodyText().isBlank()) throw ApiError.badRequest("the request body is empty; expected {\"method\",\"url\",\"headers\",\"listener\"}");
    JsonNode body = Wire.parse(r.bodyText(), Wire.bodyIsYaml(r));
    if (!body.isObject()) throw ApiError.badRequest("the request body must be an object with method, url, headers and listener");
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!Set.of("method", "url", "headers", "listener").contains(e.getKey())) {
        throw ApiError.badRequest("unknown field '" + e.getKey() + "' (known fields: headers, listener, method, url)");
      }
    }
    String method = Objects.requireNonNull(optionalString(body, "method", "GET"));
    if (!TOKEN.matcher(method).matches()) throw ApiError.badRequest("method must be an HTTP method such as GET, got '" + method + "'");
    String urlText = optionalString(body, "url", null);
    if (urlText == null) throw ApiError.badRequest("url is required: the absolute URL of the request, such as http://api.example.com/orders/1");
    URI url;
    try {
      url = new URI(urlText);
    } catch (URISyntaxException e) {
      throw ApiError.badRequest("url is not a valid URL: " + e.getMessage());
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
      throw ApiError.badRequest("url must be an absolute http:// or https:// URL with a host, got '" + urlText + "'");
    }
    List<RouteTestRequest.Header> headers = new ArrayList<>();
    JsonNode h = body.path("headers");
    if (!h.isMissingNode() && !h.isNull()) {
      if (!h.isArray()) throw ApiError.badRequest("headers must be a list of [name, value] pairs");
      for (int i = 0; i < h.size(); i++) {
        JsonNode pair = h.get(i);
        if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()
            || !TOKEN.matcher(pair.get(0).asText()).matches()) {
          throw ApiError.badRequest("headers[" + i + "] must be a [name, value] pair of strings with a valid header name");
        }
        headers.add(new RouteTestRequest.Header(pair.get(0).asText(), pair.get(1).asText()));
      }
    }
    String listener = optionalString(body, "listener", null);
    RouteTestResult result;
    try {
      result = routeTester.test(new RouteTestRequest(method, url, headers, listener));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(e.getMessage() == null ? "the request cannot be tested" : e.getMessage());
    }
    ObjectNode n = Wire.object();
    n.put("matched", result.matched());
    n.put("listener", result.listener());
    n.put("route", result.route());
    n.put("upstream", result.upstream());
    if (result.matched()) {
      ArrayNode filters = n.putArray("filters");
      result.filters().forEach(filters::add);
    } else {
      n.putNull("filters");
    }
    n.put("path", result.path());
    n.put("host", result.host());
    if (!result.matched()) n.put("reason", result.reason());
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  private static @Nullable String optionalString(JsonNode body, String field, @Nullable String dflt) {
    JsonNode v = body.path(field);
    if (v.isMissingNode() || v.isNull()) return dflt;
    if (!v.isTextual()) throw ApiError.badRequest(field + " must be a string, got " + v.getNodeType().name().toLowerCase(Locale.ROOT));
    return v.asText();
  }

  // ---- paths

  private static Kind kind(ApiRequest r) {
    String segment = r.pathParameter("kinds");
    Kind kind = Kinds.fromPlural(segment);
    if (kind == null) {
      throw ApiError.notFound("no such kind '" + segment + "' in " + r.path() + "; expected one of " + String.join(", ", Kinds.plurals()));
    }
    return kind;
  }

  private static ObjectRef ref(ApiRequest r) {
    return new ObjectRef(kind(r), r.pathParameter("name"));
  }

  private static byte[] openApiDocument() {
    try (InputStream in = AdminApi.class.getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) throw new IllegalStateException("the OpenAPI document " + OPENAPI_RESOURCE + " is missing from the jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the OpenAPI document " + OPENAPI_RESOURCE, e);
    }
  }
}
