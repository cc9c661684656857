package io.sluice.admin.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.admin.AdminEvents;
import io.sluice.admin.AdminToken.Role;
import io.sluice.admin.ChangeReview;
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
import io.sluice.store.ObjectChange;
import io.sluice.store.StoreConflictException;
import io.sluice.store.changes.ChangeRequest;
import io.sluice.store.changes.ChangeRequest.State;
import io.sluice.store.changes.ChangeRequest.Verdict;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The change workflow's part of the admin API (README "Review changes"): change requests proposed by
 * editors, approved or rejected by reviewers, rebased when the configuration moved under them, and
 * published as one revision. With {@link ChangeReview#required()} every direct write of the
 * configuration is refused ({@link #guardingWrites}). Handlers run on the admin API's request
 * threads; every state change is one compare-and-set write of the change request, so two reviewers
 * acting at once never lose each other's review (the second gets 409 and reads again).
 */
final class ChangeRequestsApi {
  static final String PATH = "/api/v1/changes";
  private static final int MAX_TITLE = 200;
  private static final Set<String> PROPOSAL_FIELDS = Set.of("title", "description", "objects", "deletions");

  private final ConfigStore store;
  private final ChangeReview settings;
  private final Clock clock;
  private final AdminEvents events;
  private final CanaryApi canary;

  ChangeRequestsApi(ConfigStore store, ChangeReview settings, Clock clock, AdminEvents events, CanaryApi canary) {
    this.store = store;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
    this.canary = canary;
  }

  /** Adds the change requests' routes to {@code b}. */
  void register(RouteTable.Builder b) {
    Set<String> out = Set.of("output");
    Set<String> publish = new HashSet<>(CanaryApi.APPLY_PARAMETERS);
    publish.add("output");
    b.add(new RouteTable.Route(HttpMethod.GET, PATH, Set.of("state", "output"), q -> Role.VIEWER, this::list))
        .add(new RouteTable.Route(HttpMethod.POST, PATH, out, q -> Role.EDITOR, this::propose))
        .add(new RouteTable.Route(HttpMethod.GET, PATH + "/{id}", out, q -> Role.VIEWER, this::show))
        .add(new RouteTable.Route(HttpMethod.POST, PATH + "/{id}/approve", out, q -> Role.REVIEWER, r -> review(r, Verdict.APPROVED)))
        .add(new RouteTable.Route(HttpMethod.POST, PATH + "/{id}/reject", out, q -> Role.REVIEWER, r -> review(r, Verdict.REJECTED)))
        .add(new RouteTable.Route(HttpMethod.POST, PATH + "/{id}/rebase", out, q -> Role.EDITOR, this::rebase))
        .add(new RouteTable.Route(HttpMethod.POST, PATH + "/{id}/publish", Set.copyOf(publish), q -> Role.EDITOR, this::publish));
  }

  /**
   * {@code table} with every direct write of the configuration refused (409 {@code review_required})
   * when review is required: a route whose role for its query is the editor's, other than the change
   * requests' own and the canary's (which ends what was started). Dry runs and reads pass.
   */
  RouteTable guardingWrites(RouteTable table) {
    if (!settings.required()) return table;
    RouteTable.Builder b = RouteTable.builder();
    for (RouteTable.Route route : table.routes()) {
      // Redelivering a webhook's dead letter changes no configuration.
      if (route.template().startsWith(PATH) || route.template().startsWith("/api/v1/canary")
          || route.template().equals(DeliveriesApi.REDELIVER)) {
        b.add(route);
        continue;
      }
      RouteTable.Handler h = route.handler();
      b.add(new RouteTable.Route(route.method(), route.template(), route.queryParameters(), route.role(), request -> {
        if (route.role().apply(request.query()) == Role.EDITOR) {
          throw ApiError.conflict("review_required", "change review is on: the configuration changes only through approved"
              + " change requests. Propose this change instead: sluice propose -f FILE --title TITLE (POST " + PATH + ")", List.of());
        }
        return h.handle(request);
      }));
    }
    return b.build();
  }

  // ---- handlers

  private ApiResponse list(ApiRequest r) {
    String wanted = r.queryParameter("state");
    State state = null;
    if (wanted != null) {
      state = stateNamed(wanted);
    }
    long live = store.revision();
    ObjectNode n = Wire.object();
    n.put("revision", live);
    ArrayNode items = n.putArray("items");
    for (ChangeRequest c : store.changeRequests().list()) {
      if (state == null || c.state() == state) items.add(summary(c, live));
    }
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  private static State stateNamed(String wanted) {
    for (State s : State.values()) {
      if (s.displayName().equals(wanted)) return s;
    }
    throw ApiError.badRequest("query parameter state must be open, approved, rejected, published or canary, got '" + wanted + "'");
  }

  private ApiResponse propose(ApiRequest r) throws ConfigException, StoreConflictException {
    JsonNode body = body(r, "expected {\"title\", \"description\", \"objects\": [...], \"deletions\": [{\"kind\", \"name\"}]}");
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!PROPOSAL_FIELDS.contains(e.getKey())) {
        throw ApiError.badRequest("unknown field '" + e.getKey() + "' in the change request (known fields: deletions, description, objects, title)");
      }
    }
    String title = text(body, "title", true).strip();
    if (title.isEmpty()) throw ApiError.badRequest("title is required: one line saying what the change does");
    if (title.length() > MAX_TITLE || title.contains("\n")) {
      throw ApiError.badRequest("title must be one line of at most " + MAX_TITLE + " characters, got " + title.length());
    }
    String description = text(body, "description", false);
    List<Change> changes = new ArrayList<>();
    Set<ObjectRef> seen = new HashSet<>();
    List<ConfigError> duplicates = new ArrayList<>();
    JsonNode objects = body.path("objects");
    if (!objects.isMissingNode() && !objects.isNull()) {
      if (!objects.isArray()) throw ApiError.badRequest("objects must be a list of objects as POST /api/v1/apply takes them");
      if (!objects.isEmpty()) {
        for (ConfigObject<?> o : ObjectCodec.readJson(AdminApi.SOURCE, objects.toString())) {
          if (!seen.add(ObjectRef.of(o))) {
            duplicates.add(new ConfigError(o.source(), o.ref(), "metadata.name", "duplicate: " + o.ref() + " is in the change request twice"));
          }
          changes.add(Change.put(ConfigDirOwnership.unstamped(Diffs.withoutRevision(o))));
        }
      }
    }
    JsonNode deletions = body.path("deletions");
    if (!deletions.isMissingNode() && !deletions.isNull()) {
      if (!deletions.isArray()) throw ApiError.badRequest("deletions must be a list of {\"kind\", \"name\"}");
      for (int i = 0; i < deletions.size(); i++) {
        JsonNode d = deletions.get(i);
        Kind kind = d.path("kind").isTextual() ? Kind.fromName(d.path("kind").asText()) : null;
        if (kind == null || !d.path("name").isTextual() || d.size() != 2) {
          throw ApiError.badRequest("deletions[" + i + "] must be {\"kind\": KIND, \"name\": NAME} with KIND one of "
              + String.join(", ", java.util.Arrays.stream(Kind.values()).map(Kind::displayName).toList()) + ", got " + d);
        }
        ObjectRef ref = new ObjectRef(kind, d.path("name").asText());
        if (!seen.add(ref)) {
          duplicates.add(new ConfigError(AdminApi.SOURCE, ref.toString(), "metadata.name", "duplicate: " + ref + " is in the change request twice"));
        }
        changes.add(Change.delete(ref));
      }
    }
    if (!duplicates.isEmpty()) throw new ConfigException(duplicates);
    if (changes.isEmpty()) throw ApiError.badRequest("the change request changes nothing: give objects to put or deletions");
    long base = store.revision();
    Applied checked = check(changes, base, r.principal().name());
    if (checked.changes().stream().allMatch(c -> c.op() == ObjectChange.Op.UNCHANGED || sameContent(c))) {
      throw ApiError.badRequest("the change request changes nothing: every object is as stored at revision " + base);
    }
    ChangeRequest created = store.changeRequests().create(ChangeRequest.proposed(title, description, r.principal().name(),
        now(), base, changes));
    emit("change.proposed", created, r.principal().name(), "");
    return Wire.render(r, HttpResponseStatus.CREATED, full(created, r.principal()));
  }

  private ApiResponse show(ApiRequest r) {
    return Wire.render(r, HttpResponseStatus.OK, full(find(r), r.principal()));
  }

  private ApiResponse review(ApiRequest r, Verdict verdict) throws StoreConflictException {
    ChangeRequest c = find(r);
    JsonNode body = body(r, "expected {\"comment\": TEXT}");
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!e.getKey().equals("comment")) throw ApiError.badRequest("unknown field '" + e.getKey() + "' (known fields: comment)");
    }
    String comment = text(body, "comment", false).strip();
    String who = r.principal().name();
    String verb = verdict == Verdict.APPROVED ? "approve" : "reject";
    if (c.state() == State.PUBLISHED || c.state() == State.REJECTED) {
      throw ApiError.conflict("change_closed", "change " + c.id() + " is " + c.state().displayName() + "; there is nothing to " + verb, List.of());
    }
    if (c.state() == State.CANARY) throw inCanary(c, verb + " it");
    if (verdict == Verdict.APPROVED && who.equals(c.author())) {
      throw ApiError.refused("self_approval", "change " + c.id() + " was proposed by " + who
          + "; its approvals must come from other reviewers");
    }
    if (verdict == Verdict.REJECTED && comment.isEmpty()) {
      throw ApiError.badRequest("a rejection needs a comment saying why (sluice reject " + c.id() + " -m TEXT)");
    }
    if (verdict == Verdict.APPROVED && c.approvers().contains(who)) {
      throw ApiError.conflict("already_approved", who + " approved change " + c.id() + " already; approvals must come from "
          + settings.approvals() + " different reviewers", List.of());
    }
    List<ChangeRequest.Review> reviews = new ArrayList<>(c.reviews());
    reviews.add(new ChangeRequest.Review(who, verdict, comment, now()));
    State next;
    if (verdict == Verdict.REJECTED) {
      next = State.REJECTED;
    } else {
      long approvals = reviews.stream().filter(v -> v.verdict() == Verdict.APPROVED).count();
      next = approvals >= settings.approvals() ? State.APPROVED : State.OPEN;
    }
    ChangeRequest updated = store.changeRequests().update(c.withReviews(next, reviews));
    emit(verdict == Verdict.APPROVED ? "change.approved" : "change.rejected", updated, who, comment);
    return Wire.render(r, HttpResponseStatus.OK, full(updated, r.principal()));
  }

  /**
   * Moves a change request onto the live revision: checked again against it (what it changes may
   * have been changed or deleted since), and open again with no reviews, because the approvals were
   * given to what it would have done on its old base, which is not what publishing it now would do.
   */
  private ApiResponse rebase(ApiRequest r) throws ConfigException, StoreConflictException {
    ChangeRequest c = find(r);
    body(r, "expected {}");
    if (c.state() == State.PUBLISHED || c.state() == State.REJECTED) {
      throw ApiError.conflict("change_closed", "change " + c.id() + " is " + c.state().displayName() + "; only open or approved"
          + " changes are rebased", List.of());
    }
    if (c.state() == State.CANARY) throw inCanary(c, "rebase it");
    long live = store.revision();
    if (c.baseRevision() == live) return Wire.render(r, HttpResponseStatus.OK, full(c, r.principal()));
    check(c.changes(), live, c.author());
    ChangeRequest updated = store.changeRequests().update(c.rebased(live));
    return Wire.render(r, HttpResponseStatus.OK, full(updated, r.principal()));
  }

  private ApiResponse publish(ApiRequest r) throws ConfigException, StoreConflictException {
    ChangeRequest c = find(r);
    body(r, "expected {}");
    switch (c.state()) {
      case REJECTED -> throw ApiError.conflict("change_rejected", "change " + c.id() + " was rejected"
          + rejectedBy(c) + "; a rejected change is never published: propose a new one", List.of());
      case PUBLISHED -> throw ApiError.conflict("already_published", "change " + c.id() + " was published as revision "
          + c.publishedRevision() + " by " + c.publishedBy(), List.of());
      case OPEN -> throw ApiError.conflict("not_approved", "change " + c.id() + " has " + c.approvers().size() + " of "
          + settings.approvals() + " approvals; it is published once approved", List.of());
      case CANARY -> throw inCanary(c, "publish it again");
      case APPROVED -> { }
    }
    long live = store.revision();
    if (c.baseRevision() != live) {
      throw ApiError.conflict("stale_base", "change " + c.id() + " is based on revision " + c.baseRevision()
          + " but the configuration is at revision " + live + ": rebase it (sluice rebase " + c.id() + ", POST " + PATH + "/"
          + c.id() + "/rebase), which checks it again and asks for approvals again", List.of());
    }
    String by = r.principal().name();
    if (CanaryApi.wantsCanary(r)) return publishAsCanary(r, c, by);
    ChangeSet.Builder b = ChangeSet.builder().author(c.author()).message(revisionMessage(c, by)).baseRevision(c.baseRevision());
    c.changes().forEach(b::change);
    Applied applied = store.apply(b.build());
    ChangeRequest published = store.changeRequests().update(c.published(applied.revision(), by));
    emit("change.published", published, by, "");
    return Wire.render(r, HttpResponseStatus.OK, full(published, r.principal()));
  }

  /**
   * Starts the config canary of an approved change request on its live base, instead of committing it: the change is in
   * canary until the canary ends, when {@link io.sluice.admin.ChangeCanaries} publishes it (promoted) or approves it again
   * (aborted). The canary's revision message is the one a plain publish writes, so history reads the same either way.
   */
  private ApiResponse publishAsCanary(ApiRequest r, ChangeRequest c, String by) throws ConfigException, StoreConflictException {
    if (!canary.available()) {
      throw ApiError.conflict("no_fleet", "change " + c.id() + " cannot be published as a canary: this node runs on the embedded"
          + " store (--data-dir) and has no fleet to canary it on; publish it without --canary, or serve the nodes on etcd"
          + " (--store etcd://...) with data-plane nodes", List.of());
    }
    List<ConfigObject<?>> objects = new ArrayList<>();
    List<String> deletes = new ArrayList<>();
    for (Change ch : c.changes()) {
      if (ch instanceof Change.Put p) {
        objects.add(p.object());
      } else {
        deletes.add(ch.ref().toString());
      }
    }
    if (!deletes.isEmpty()) {
      throw ApiError.conflict("canary_deletes", "change " + c.id() + " deletes " + String.join(", ", deletes) + "; a config canary"
          + " only creates and changes objects: publish it without --canary", List.of());
    }
    io.sluice.store.Canary started = canary.start(r, objects, revisionMessage(c, by), c.id());
    ChangeRequest marked;
    try {
      marked = store.changeRequests().update(c.inCanary(started.id()));
    } catch (StoreConflictException | RuntimeException e) {
      // Reviewed or rebased while the canary started: what runs is no longer what the change request says.
      canary.abandon(started.id(), by, "change " + c.id() + " changed while its canary started");
      throw e;
    }
    ObjectNode n = full(marked, r.principal());
    n.set("canaryStarted", CanaryApi.canary(started));
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  private static ApiError inCanary(ChangeRequest c, String what) {
    return ApiError.conflict("change_in_canary", "change " + c.id() + " runs as config canary " + c.canary() + "; promote it"
        + " (sluice canary promote) to publish the change or abort it (sluice canary abort) before you " + what, List.of());
  }

  /** Tells {@code events} of a rollback that wrote {@code revision} ({@code object} empty: the whole configuration). */
  void rolledBack(String by, String object, long to, long revision) {
    Map<String, Object> data = new LinkedHashMap<>();
    if (!object.isEmpty()) data.put("object", object);
    data.put("to", to);
    data.put("revision", revision);
    data.put("by", by);
    events.emit("rollback", data);
  }

  // ---- the audit trail

  /** The revision message of a published change: the change, who proposed, approved and published it. */
  static String revisionMessage(ChangeRequest c, String publishedBy) {
    return "change " + c.id() + ": " + c.title() + " (proposed by " + c.author() + "; approved by "
        + String.join(", ", c.approvers()) + "; published by " + publishedBy + ")";
  }

  /** The published change requests by the revision they created. */
  Map<Long, ChangeRequest> publishedByRevision() {
    Map<Long, ChangeRequest> out = new HashMap<>();
    for (ChangeRequest c : store.changeRequests().list()) {
      if (c.state() == State.PUBLISHED && c.publishedRevision() > 0) out.put(c.publishedRevision(), c);
    }
    return out;
  }

  /** Adds {@code "change": {...}} to a revision's or history entry's item when a change request created it. */
  static void link(ObjectNode item, long revision, Map<Long, ChangeRequest> published) {
    ChangeRequest c = published.get(revision);
    if (c == null) return;
    ObjectNode link = item.putObject("change");
    link.put("id", c.id());
    link.put("title", c.title());
    link.put("proposedBy", c.author());
    ArrayNode approvedBy = link.putArray("approvedBy");
    c.approvers().forEach(approvedBy::add);
    link.put("publishedBy", c.publishedBy());
  }

  // ---- helpers

  /** Checks {@code changes} on {@code base} exactly as applying them would, writing nothing. */
  private Applied check(List<Change> changes, long base, String author) throws ConfigException, StoreConflictException {
    ChangeSet.Builder b = ChangeSet.builder().author(author).baseRevision(base);
    changes.forEach(b::change);
    return store.dryRun(b.build());
  }

  private static boolean sameContent(ObjectChange c) {
    ConfigObject<?> before = c.before();
    ConfigObject<?> after = c.after();
    return c.op() == ObjectChange.Op.UPDATED && before != null && after != null
        && ObjectCodec.toJson(Diffs.withoutRevision(ConfigDirOwnership.unstamped(before)))
            .equals(ObjectCodec.toJson(Diffs.withoutRevision(ConfigDirOwnership.unstamped(after))));
  }

  private ChangeRequest find(ApiRequest r) {
    String id = r.pathParameter("id");
    long n;
    try {
      n = Long.parseLong(id);
    } catch (NumberFormatException e) {
      throw ApiError.notFound("no such change request '" + id + "': ids are whole numbers from 1");
    }
    ChangeRequest c = n < 1 ? null : store.changeRequests().get(n);
    if (c == null) throw ApiError.notFound("no change request " + id);
    if (c.state() == State.CANARY) {
      // Its canary ended but the node that ended it could not update it (the store was away): settle it now.
      io.sluice.store.CanaryOutcome ended = canary.ended(c.canary());
      if (ended != null) {
        try {
          io.sluice.admin.ChangeCanaries.settle(store, events, ended);
        } catch (io.sluice.store.StoreException e) {
          // Still away, or a node whose store takes no writes: answer it as stored; a later request settles it.
          return c;
        }
        ChangeRequest settled = store.changeRequests().get(n);
        if (settled != null) c = settled;
      }
    }
    return c;
  }

  private static JsonNode body(ApiRequest r, String expected) {
    if (r.bodyText().isBlank()) throw ApiError.badRequest("the request body is empty; " + expected);
    JsonNode body = Wire.parse(r.bodyText(), Wire.bodyIsYaml(r));
    if (!body.isObject()) throw ApiError.badRequest("the request body must be an object; " + expected);
    return body;
  }

  private static String text(JsonNode body, String field, boolean required) {
    JsonNode v = body.path(field);
    if (v.isMissingNode() || v.isNull()) {
      if (required) throw ApiError.badRequest(field + " is required");
      return "";
    }
    if (!v.isTextual()) throw ApiError.badRequest(field + " must be a string, got " + v.getNodeType().name().toLowerCase(Locale.ROOT));
    return v.asText();
  }

  private static String rejectedBy(ChangeRequest c) {
    for (ChangeRequest.Review v : c.reviews()) {
      if (v.verdict() == Verdict.REJECTED) return " by " + v.reviewer() + " (" + v.comment() + ")";
    }
    return "";
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private void emit(String type, ChangeRequest c, String by, String comment) {
    io.sluice.admin.ChangeEvents.emit(events, type, c, by, comment);
  }

  private ObjectNode summary(ChangeRequest c, long live) {
    ObjectNode n = Wire.object();
    n.put("id", c.id());
    n.put("state", c.state().displayName());
    n.put("title", c.title());
    n.put("author", c.author());
    n.put("created", c.created().toString());
    n.put("baseRevision", c.baseRevision());
    n.put("stale", c.state() != State.PUBLISHED && c.state() != State.REJECTED && c.baseRevision() != live);
    n.put("approvals", c.approvers().size());
    n.put("approvalsRequired", settings.approvals());
    ArrayNode approvedBy = n.putArray("approvedBy");
    c.approvers().forEach(approvedBy::add);
    if (c.publishedRevision() > 0) {
      n.put("publishedRevision", c.publishedRevision());
      n.put("publishedBy", c.publishedBy());
    } else {
      n.putNull("publishedRevision");
      n.putNull("publishedBy");
    }
    ArrayNode objects = n.putArray("objects");
    c.changes().forEach(ch -> objects.add(ch.ref().toString()));
    putOrNull(n, "canary", c.canary());
    putOrNull(n, "canaryAborted", c.canaryAbort());
    return n;
  }

  private static void putOrNull(ObjectNode n, String field, String value) {
    if (value.isEmpty()) {
      n.putNull(field);
    } else {
      n.put(field, value);
    }
  }

  /** The change request with its reviews and its diff against its base revision, redacted for readers who may not see credentials. */
  private ObjectNode full(ChangeRequest c, Principal reader) {
    ObjectNode n = summary(c, store.revision());
    n.put("description", c.description());
    ArrayNode reviews = n.putArray("reviews");
    for (ChangeRequest.Review v : c.reviews()) {
      reviews.addObject().put("reviewer", v.reviewer()).put("verdict", v.verdict().displayName()).put("comment", v.comment())
          .put("time", v.time().toString());
    }
    Map<ObjectRef, ConfigObject<?>> before = new HashMap<>();
    for (ConfigObject<?> o : store.snapshotAt(Math.min(c.baseRevision(), store.revision())).objects()) before.put(ObjectRef.of(o), o);
    boolean redacted = !Wire.seesCredentials(reader);
    ArrayNode changes = n.putArray("changes");
    for (Change ch : c.changes()) {
      ConfigObject<?> was = before.get(ch.ref());
      ConfigObject<?> after = ch instanceof Change.Put p ? p.object() : null;
      String op = after == null ? (was == null ? "unchanged" : "deleted") : was == null ? "created" : "updated";
      String diff = Diffs.unified(ch.ref(), was == null ? null : ConfigDirOwnership.unstamped(was), after, true, redacted);
      if (op.equals("updated") && diff.isEmpty()) op = "unchanged";
      changes.addObject().put("kind", ch.ref().kind().displayName()).put("name", ch.ref().name()).put("op", op).put("diff", diff);
    }
    return n;
  }
}
