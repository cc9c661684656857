package io.sluice.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.store.ObjectChange.Op;
import io.sluice.store.StoreConflictException.Reason;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The semantics every {@link ConfigStore} has (see its Javadoc), as tests. A store implementation's
 * test extends this class and supplies {@link #newStore()}; the suite runs unchanged against the
 * embedded, etcd and Kubernetes stores.
 */
// Watches are held in try-with-resources only to be closed: javac's "try" lint would flag each.
@SuppressWarnings("try")
public abstract class ConfigStoreContract {
  private static final Duration WAIT = Duration.ofSeconds(20);

  protected ConfigStore store;

  /** A fresh, empty store, at revision 0; closed by the suite after each test. */
  protected abstract ConfigStore newStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ---- fixtures

  protected static ConfigObject<UpstreamSpec> upstream(String name, int port) {
    return object(Kind.UPSTREAM, name, new UpstreamSpec(List.of(UpstreamSpec.Endpoint.of("127.0.0.1:" + port)), null, null, null));
  }

  protected static ConfigObject<RouteSpec> route(String name, String upstream) {
    return object(Kind.ROUTE, name, new RouteSpec(null, null, null,
        new RouteMatch(PathMatch.prefix("/" + name), null, null, null), upstream, null, null));
  }

  protected static ConfigObject<ListenerSpec> listener(String name, int port) {
    return object(Kind.LISTENER, name, new ListenerSpec("127.0.0.1:" + port, null, null));
  }

  protected static <S extends Spec> ConfigObject<S> object(Kind kind, String name, S spec) {
    return new ConfigObject<>(ConfigObject.API_VERSION, kind, ObjectMeta.named(name), spec, "<test>");
  }

  protected static <S extends Spec> ConfigObject<S> withSource(ConfigObject<S> o, String source) {
    return new ConfigObject<>(o.apiVersion(), o.kind(), o.metadata(), o.spec(), source);
  }

  protected static <S extends Spec> ConfigObject<S> withLabels(ConfigObject<S> o, Map<String, String> labels) {
    ObjectMeta m = o.metadata();
    return new ConfigObject<>(o.apiVersion(), o.kind(), new ObjectMeta(m.name(), labels, m.annotations(), m.revision()), o.spec(), o.source());
  }

  protected static <S extends Spec> ConfigObject<S> atRevision(ConfigObject<S> o, long revision) {
    return new ConfigObject<>(o.apiVersion(), o.kind(), o.metadata().withRevision(revision), o.spec(), o.source());
  }

  protected static ObjectRef ref(ConfigObject<?> o) {
    return ObjectRef.of(o);
  }

  protected static ChangeSet.Builder changes() {
    return ChangeSet.builder().author("tester").message("test");
  }

  protected Applied apply(ConfigObject<?>... puts) throws Exception {
    ChangeSet.Builder b = changes();
    for (ConfigObject<?> o : puts) b.put(o);
    return store.apply(b.build());
  }

  protected Applied delete(ConfigObject<?> o) throws Exception {
    return store.apply(changes().delete(ref(o)).build());
  }

  private StoreConflictException conflict(ChangeSet cs) {
    try {
      store.apply(cs);
    } catch (StoreConflictException e) {
      return e;
    } catch (ConfigException e) {
      throw new AssertionError("expected a conflict, got " + e.getMessage(), e);
    }
    throw new AssertionError("expected a conflict, but the change set applied");
  }

  private ConfigException invalid(ChangeSet cs) {
    try {
      store.apply(cs);
    } catch (ConfigException e) {
      return e;
    } catch (StoreConflictException e) {
      throw new AssertionError("expected a ConfigException, got a conflict: " + e.getMessage(), e);
    }
    throw new AssertionError("expected a ConfigException, but the change set applied");
  }

  /** Records a watch's events and error. */
  protected static final class Recorder implements WatchListener {
    final List<WatchEvent> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<Throwable> error = new CompletableFuture<>();

    @Override
    public void onEvent(WatchEvent event) {
      events.add(event);
    }

    @Override
    public void onError(Throwable e) {
      error.complete(e);
    }

    List<Long> revisions() {
      return events.stream().map(WatchEvent::revision).toList();
    }

    void awaitRevision(long revision) {
      try {
        await().atMost(WAIT).until(() -> !events.isEmpty() && events.getLast().revision() >= revision);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("watch did not reach revision " + revision + "; got revisions " + revisions()
            + (error.isDone() ? ", error " + error.join() : ""), e);
      }
    }
  }

  private static List<Long> range(long fromInclusive, long toInclusive) {
    return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().toList();
  }

  // ---- revisions

  @Test
  void aNewStoreIsEmptyAtRevisionZero() {
    assertThat(store.revision()).isZero();
    assertThat(store.snapshot()).isEqualTo(new Snapshot(0, List.of()));
    assertThat(store.revisions(0, 10)).isEmpty();
    assertThat(store.get(new ObjectRef(Kind.UPSTREAM, "echo"))).isNull();
  }

  @Test
  void eachChangeSetGetsTheNextRevision() throws Exception {
    assertThat(apply(upstream("a", 9001)).revision()).isEqualTo(1);
    assertThat(apply(upstream("b", 9002), upstream("c", 9003)).revision()).isEqualTo(2);
    assertThat(delete(upstream("a", 9001)).revision()).isEqualTo(3);
    assertThat(store.revision()).isEqualTo(3);
    assertThat(store.revisions(0, 10)).extracting(RevisionInfo::revision).containsExactly(1L, 2L, 3L);
  }

  @Test
  void storedObjectsCarryTheRevisionOfTheirLastChange() throws Exception {
    apply(upstream("a", 9001));
    apply(upstream("b", 9002));
    apply(upstream("a", 9011));
    assertThat(store.get(ref(upstream("a", 0))).metadata().revision()).isEqualTo(3);
    assertThat(store.get(ref(upstream("b", 0))).metadata().revision()).isEqualTo(2);
    assertThat(store.snapshot().objects()).extracting(o -> o.name() + "@" + o.metadata().revision())
        .containsExactly("a@3", "b@2");
    assertThat(store.get(ref(upstream("a", 0))).spec()).isEqualTo(upstream("a", 9011).spec());
  }

  @Test
  void snapshotListsObjectsInDependencyOrder() throws Exception {
    apply(listener("public", 18080), upstream("echo", 9001), route("b", "echo"), route("a", "echo"));
    assertThat(store.snapshot().objects()).extracting(ConfigObject::ref)
        .containsExactly("Upstream/echo", "Route/a", "Route/b", "Listener/public");
  }

  // ---- create, replace, delete

  @Test
  void createReplaceAndDeleteReportWhatTheyDid() throws Exception {
    ConfigObject<UpstreamSpec> v1 = upstream("echo", 9001);
    Applied created = apply(v1);
    assertThat(created.changes()).hasSize(1);
    ObjectChange c = created.changes().getFirst();
    assertThat(c.op()).isEqualTo(Op.CREATED);
    assertThat(c.ref()).isEqualTo(new ObjectRef(Kind.UPSTREAM, "echo"));
    assertThat(c.before()).isNull();
    assertThat(c.after().spec()).isEqualTo(v1.spec());
    assertThat(c.after().metadata().revision()).isEqualTo(1);

    Applied replaced = apply(upstream("echo", 9002));
    ObjectChange u = replaced.changes().getFirst();
    assertThat(u.op()).isEqualTo(Op.UPDATED);
    assertThat(u.before()).isEqualTo(c.after());
    assertThat(u.after().spec()).isEqualTo(upstream("echo", 9002).spec());
    assertThat(u.after().metadata().revision()).isEqualTo(2);
    assertThat(store.get(u.ref())).isEqualTo(u.after());

    Applied deleted = delete(v1);
    ObjectChange d = deleted.changes().getFirst();
    assertThat(d.op()).isEqualTo(Op.DELETED);
    assertThat(d.before()).isEqualTo(u.after());
    assertThat(d.after()).isNull();
    assertThat(deleted.revision()).isEqualTo(3);
    assertThat(store.get(d.ref())).isNull();
    assertThat(store.snapshot().objects()).isEmpty();
  }

  @Test
  void changesAreReportedInDependencyOrder() throws Exception {
    Applied a = store.apply(changes().put(route("r", "echo")).put(listener("l", 18080)).put(upstream("echo", 9001)).build());
    assertThat(a.changes()).extracting(ch -> ch.ref().toString()).containsExactly("Upstream/echo", "Route/r", "Listener/l");
  }

  // ---- unchanged puts

  @Test
  void putEqualToTheStoredObjectIsUnchangedAndCreatesNoRevision() throws Exception {
    apply(upstream("echo", 9001));
    Applied again = apply(withSource(upstream("echo", 9001), "elsewhere.yaml:3"));
    assertThat(again.revision()).isEqualTo(1);
    assertThat(again.changedAnything()).isFalse();
    assertThat(again.changes()).extracting(ObjectChange::op).containsExactly(Op.UNCHANGED);
    assertThat(again.changes().getFirst().before()).isEqualTo(store.get(ref(upstream("echo", 0))));
    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.revisions(0, 10)).hasSize(1);
    assertThat(store.history(ref(upstream("echo", 0)))).hasSize(1);
  }

  @Test
  void putThatChangesOnlyLabelsIsAnUpdate() throws Exception {
    apply(upstream("echo", 9001));
    Applied labelled = apply(withLabels(upstream("echo", 9001), Map.of("team", "shop")));
    assertThat(labelled.revision()).isEqualTo(2);
    assertThat(labelled.changes()).extracting(ObjectChange::op).containsExactly(Op.UPDATED);
    assertThat(store.get(ref(upstream("echo", 0))).metadata().labels()).isEqualTo(Map.of("team", "shop"));
  }

  @Test
  void unchangedPutsInAChangeSetThatChangesSomethingAreNotRecordedAsVersions() throws Exception {
    apply(upstream("a", 9001), upstream("b", 9002));
    Applied mixed = apply(upstream("a", 9001), upstream("b", 9022));
    assertThat(mixed.revision()).isEqualTo(2);
    assertThat(mixed.changes()).extracting(ObjectChange::op).containsExactly(Op.UNCHANGED, Op.UPDATED);
    assertThat(store.revisions(1, 10).getFirst().objects()).containsExactly(ref(upstream("b", 0)));
    assertThat(store.get(ref(upstream("a", 0))).metadata().revision()).isEqualTo(1);
    assertThat(store.history(ref(upstream("a", 0)))).extracting(HistoryEntry::revision).containsExactly(1L);
  }

  // ---- validation

  @Test
  void changeSetWithOneInvalidObjectWritesNothing() throws Exception {
    apply(upstream("echo", 9001));
    ConfigObject<RouteSpec> bad = withSource(object(Kind.ROUTE, "bad", new RouteSpec(null, null, null,
        new RouteMatch(PathMatch.regex("/orders/("), null, null, null), "echo", null, null)), "routes.yaml:7");
    ConfigException e = invalid(changes().put(upstream("good", 9002)).put(route("fine", "echo")).put(bad).build());
    assertThat(e.errors()).hasSize(1);
    ConfigError error = e.errors().getFirst();
    assertThat(error.source()).isEqualTo("routes.yaml:7");
    assertThat(error.object()).isEqualTo("Route/bad");
    assertThat(error.field()).isEqualTo("spec.match.path.regex");
    assertThat(error.message()).startsWith("invalid regular expression '/orders/('");
    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.get(ref(upstream("good", 0)))).isNull();
    assertThat(store.get(ref(route("fine", "echo")))).isNull();
    assertThat(store.history(ref(upstream("good", 0)))).isEmpty();
    assertThat(store.snapshot().objects()).extracting(ConfigObject::ref).containsExactly("Upstream/echo");
  }

  @Test
  void danglingReferenceOnCreateIsRefusedNamingTheField() {
    ConfigException e = invalid(changes().put(withSource(route("orders", "missing"), "<api>")).build());
    assertThat(e.errors()).containsExactly(
        new ConfigError("<api>", "Route/orders", "spec.upstream", "Upstream 'missing' does not exist"));
    assertThat(store.revision()).isZero();
  }

  @Test
  void objectAndItsReferenceCanBeCreatedInOneChangeSet() throws Exception {
    Applied a = apply(route("orders", "echo"), upstream("echo", 9001));
    assertThat(a.revision()).isEqualTo(1);
    assertThat(store.snapshot().objects()).hasSize(2);
  }

  // ---- deletions and references

  @Test
  void deletingAReferencedUpstreamIsRefusedNamingEveryReferrer() throws Exception {
    apply(upstream("echo", 9001), route("b", "echo"), route("a", "echo"), upstream("other", 9002), route("c", "other"));
    StoreConflictException e = conflict(changes().delete(ref(upstream("echo", 0))).build());
    assertThat(e.reason()).isEqualTo(Reason.REFERENCED);
    assertThat(e.details()).containsExactly("Upstream/echo is referred to by Route/a, Route/b");
    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.get(ref(upstream("echo", 0)))).isNotNull();
  }

  @Test
  void deletingAnUpstreamIsRefusedWhenAPutInTheSameChangeSetStillRefersToIt() throws Exception {
    apply(upstream("echo", 9001), upstream("other", 9002));
    StoreConflictException e = conflict(changes().delete(ref(upstream("echo", 0))).put(route("a", "echo")).build());
    assertThat(e.reason()).isEqualTo(Reason.REFERENCED);
    assertThat(e.details()).containsExactly("Upstream/echo is referred to by Route/a");
  }

  @Test
  void deletingAnUpstreamTogetherWithItsReferrersIsAllowed() throws Exception {
    apply(upstream("echo", 9001), upstream("other", 9002), route("a", "echo"), route("b", "echo"));
    Applied a = store.apply(changes().delete(ref(upstream("echo", 0))).delete(ref(route("a", "")))
        .put(route("b", "other")).build());
    assertThat(a.changes()).extracting(ObjectChange::op).containsExactly(Op.DELETED, Op.DELETED, Op.UPDATED);
    assertThat(store.snapshot().objects()).extracting(ConfigObject::ref).containsExactly("Upstream/other", "Route/b");
  }

  @Test
  void deletingAListenerARouteNamesIsRefused() throws Exception {
    apply(listener("public", 18080), upstream("echo", 9001), object(Kind.ROUTE, "a", new RouteSpec(List.of("public"),
        null, null, null, "echo", null, null)));
    StoreConflictException e = conflict(changes().delete(new ObjectRef(Kind.LISTENER, "public")).build());
    assertThat(e.details()).containsExactly("Listener/public is referred to by Route/a");
  }

  // ---- compare-and-set

  @Test
  void putWithTheRevisionItWasReadAtApplies() throws Exception {
    apply(upstream("echo", 9001));
    apply(upstream("other", 9002));
    Applied a = apply(atRevision(upstream("echo", 9003), 1));
    assertThat(a.revision()).isEqualTo(3);
    assertThat(a.changes().getFirst().op()).isEqualTo(Op.UPDATED);
  }

  @Test
  void putWithAStaleRevisionIsRefused() throws Exception {
    apply(upstream("echo", 9001));
    apply(upstream("echo", 9002));
    StoreConflictException e = conflict(changes().put(atRevision(upstream("echo", 9003), 1)).put(upstream("new", 9004)).build());
    assertThat(e.reason()).isEqualTo(Reason.REVISION_MISMATCH);
    assertThat(e.details()).containsExactly("Upstream/echo: metadata.revision 1 is not the current revision 2: the object changed"
        + " since it was read; drop metadata.revision to overwrite, or get it again");
    assertThat(store.revision()).isEqualTo(2);
    assertThat(store.get(ref(upstream("new", 0)))).isNull();
  }

  @Test
  void putWithARevisionOfAnObjectThatDoesNotExistIsRefused() {
    StoreConflictException e = conflict(changes().put(atRevision(upstream("echo", 9001), 4)).build());
    assertThat(e.reason()).isEqualTo(Reason.REVISION_MISMATCH);
    assertThat(e.details()).containsExactly("Upstream/echo does not exist, expected it at revision 4: it was deleted since"
        + " it was read; drop metadata.revision to create it again");
  }

  @Test
  void createOfAnExistingObjectIsRefused() throws Exception {
    apply(upstream("echo", 9001));
    StoreConflictException e = conflict(changes().create(upstream("echo", 9001)).build());
    assertThat(e.reason()).isEqualTo(Reason.ALREADY_EXISTS);
    assertThat(e.details()).containsExactly("Upstream/echo already exists (revision 1)");
    assertThat(store.revision()).isEqualTo(1);
  }

  @Test
  void createOfADeletedObjectApplies() throws Exception {
    apply(upstream("echo", 9001));
    delete(upstream("echo", 0));
    assertThat(store.apply(changes().create(upstream("echo", 9002)).build()).changes().getFirst().op()).isEqualTo(Op.CREATED);
  }

  @Test
  void deleteOfAMissingObjectIsRefused() throws Exception {
    apply(upstream("other", 9001));
    StoreConflictException e = conflict(changes().delete(new ObjectRef(Kind.UPSTREAM, "echo")).put(upstream("x", 9002)).build());
    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
    assertThat(e.details()).containsExactly("Upstream/echo does not exist");
    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.get(ref(upstream("x", 0)))).isNull();
  }

  @Test
  void deleteWithAStaleExpectedRevisionIsRefused() throws Exception {
    apply(upstream("echo", 9001));
    apply(upstream("echo", 9002));
    StoreConflictException e = conflict(changes().change(new Change.Delete(ref(upstream("echo", 0)), 1)).build());
    assertThat(e.reason()).isEqualTo(Reason.REVISION_MISMATCH);
    assertThat(e.details()).containsExactly("Upstream/echo is at revision 2, expected revision 1");
    assertThat(store.apply(changes().change(new Change.Delete(ref(upstream("echo", 0)), 2)).build()).revision()).isEqualTo(3);
  }

  @Test
  void everyFailedPreconditionIsNamed() throws Exception {
    apply(upstream("a", 9001));
    StoreConflictException e = conflict(changes().create(upstream("a", 9001)).delete(new ObjectRef(Kind.UPSTREAM, "b")).build());
    assertThat(e.reason()).isEqualTo(Reason.ALREADY_EXISTS);
    assertThat(e.details()).containsExactly("Upstream/a already exists (revision 1)", "Upstream/b does not exist");
  }

  // ---- base revision

  @Test
  void changeSetBasedOnARevisionFailsWhenAnObjectItTouchesChangedSince() throws Exception {
    apply(upstream("echo", 9001));
    long base = store.revision();
    apply(upstream("echo", 9002));
    StoreConflictException e = conflict(changes().baseRevision(base).put(upstream("echo", 9003)).build());
    assertThat(e.reason()).isEqualTo(Reason.REVISION_MISMATCH);
    assertThat(e.details()).containsExactly("Upstream/echo changed at revision 2, after the base revision 1");
    assertThat(store.get(ref(upstream("echo", 0))).spec()).isEqualTo(upstream("echo", 9002).spec());
  }

  @Test
  void changeSetBasedOnARevisionAppliesWhenOnlyOtherObjectsChangedSince() throws Exception {
    apply(upstream("echo", 9001));
    long base = store.revision();
    apply(upstream("other", 9002));
    Applied a = store.apply(changes().baseRevision(base).put(upstream("echo", 9003)).build());
    assertThat(a.revision()).isEqualTo(3);
  }

  @Test
  void changeSetBasedOnARevisionFailsWhenAnObjectItTouchesWasDeletedOrCreatedSince() throws Exception {
    apply(upstream("echo", 9001));
    long base = store.revision();
    delete(upstream("echo", 0));
    apply(upstream("fresh", 9002));
    StoreConflictException e = conflict(changes().baseRevision(base).put(upstream("echo", 9003)).put(upstream("fresh", 9004)).build());
    assertThat(e.reason()).isEqualTo(Reason.REVISION_MISMATCH);
    assertThat(e.details()).containsExactly(
        "Upstream/echo changed at revision 2, after the base revision 1",
        "Upstream/fresh changed at revision 3, after the base revision 1");
    assertThat(store.revision()).isEqualTo(3);
  }

  @Test
  void baseRevisionAheadOfTheStoreIsRefused() throws Exception {
    apply(upstream("echo", 9001));
    StoreConflictException e = conflict(changes().baseRevision(5).put(upstream("echo", 9002)).build());
    assertThat(e.reason()).isEqualTo(Reason.REVISION_MISMATCH);
    assertThat(e.details()).containsExactly("base revision 5 is ahead of the store's revision 1");
  }

  // ---- snapshots at a revision, history, revisions

  @Test
  void snapshotAtAnEarlierRevisionShowsTheObjectsAsTheyWereThen() throws Exception {
    apply(upstream("a", 9001));                 // 1
    apply(upstream("b", 9002), route("r", "b")); // 2
    apply(upstream("a", 9011));                 // 3
    store.apply(changes().delete(ref(upstream("b", 0))).delete(ref(route("r", "b"))).build()); // 4
    assertThat(store.snapshotAt(0)).isEqualTo(new Snapshot(0, List.of()));
    assertThat(describe(store.snapshotAt(1))).containsExactly("Upstream/a@1:9001");
    assertThat(describe(store.snapshotAt(2))).containsExactly("Upstream/a@1:9001", "Upstream/b@2:9002", "Route/r@2");
    assertThat(describe(store.snapshotAt(3))).containsExactly("Upstream/a@3:9011", "Upstream/b@2:9002", "Route/r@2");
    assertThat(describe(store.snapshotAt(4))).containsExactly("Upstream/a@3:9011");
    assertThat(store.snapshotAt(4)).isEqualTo(store.snapshot());
    assertThat(store.snapshotAt(2).revision()).isEqualTo(2);
    assertThatThrownBy(() -> store.snapshotAt(5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5");
    assertThatThrownBy(() -> store.snapshotAt(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  private static List<String> describe(Snapshot s) {
    return s.objects().stream().map(o -> o.ref() + "@" + o.metadata().revision()
        + (o.spec() instanceof UpstreamSpec u ? ":" + u.endpoints().getFirst().address().split(":")[1] : "")).toList();
  }

  @Test
  void historyListsEveryVersionWithAuthorMessageAndTimeIncludingDeletions() throws Exception {
    Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    store.apply(ChangeSet.builder().author("alice").message("first").put(upstream("echo", 9001)).build());
    apply(upstream("other", 9009));
    store.apply(ChangeSet.builder().author("bob").message("move").put(upstream("echo", 9002)).build());
    store.apply(ChangeSet.builder().author("carol").message("").delete(ref(upstream("echo", 0))).build());
    store.apply(ChangeSet.builder().author("dave").message("back").put(upstream("echo", 9003)).build());
    Instant end = Instant.now();
    List<HistoryEntry> h = store.history(ref(upstream("echo", 0)));
    assertThat(h).extracting(HistoryEntry::revision).containsExactly(1L, 3L, 4L, 5L);
    assertThat(h).extracting(HistoryEntry::author).containsExactly("alice", "bob", "carol", "dave");
    assertThat(h).extracting(HistoryEntry::message).containsExactly("first", "move", "", "back");
    assertThat(h).extracting(HistoryEntry::deleted).containsExactly(false, false, true, false);
    assertThat(h.get(0).object().spec()).isEqualTo(upstream("echo", 9001).spec());
    assertThat(h.get(0).object().metadata().revision()).isEqualTo(1);
    assertThat(h.get(1).object().spec()).isEqualTo(upstream("echo", 9002).spec());
    assertThat(h.get(3).object()).isEqualTo(store.get(ref(upstream("echo", 0))));
    for (HistoryEntry e : h) assertThat(e.time()).isBetween(start, end);
    assertThat(h).extracting(HistoryEntry::time).isSorted();
    assertThat(store.history(new ObjectRef(Kind.UPSTREAM, "never"))).isEmpty();
  }

  @Test
  void revisionsListWhoChangedWhatPageByPage() throws Exception {
    store.apply(ChangeSet.builder().author("alice").message("one").put(upstream("a", 9001)).put(route("r", "a")).build());
    store.apply(ChangeSet.builder().author("bob").message("two").put(upstream("b", 9002)).build());
    store.apply(ChangeSet.builder().author("carol").message("three").delete(ref(route("r", "a"))).build());
    List<RevisionInfo> first = store.revisions(0, 2);
    assertThat(first).extracting(RevisionInfo::revision).containsExactly(1L, 2L);
    assertThat(first.get(0).author()).isEqualTo("alice");
    assertThat(first.get(0).message()).isEqualTo("one");
    assertThat(first.get(0).objects()).containsExactly(new ObjectRef(Kind.UPSTREAM, "a"), new ObjectRef(Kind.ROUTE, "r"));
    assertThat(first.get(1).objects()).containsExactly(new ObjectRef(Kind.UPSTREAM, "b"));
    List<RevisionInfo> rest = store.revisions(2, 10);
    assertThat(rest).extracting(RevisionInfo::revision).containsExactly(3L);
    assertThat(rest.getFirst().author()).isEqualTo("carol");
    assertThat(rest.getFirst().objects()).containsExactly(new ObjectRef(Kind.ROUTE, "r"));
    assertThat(store.history(new ObjectRef(Kind.ROUTE, "r")).getLast().time()).isEqualTo(rest.getFirst().time());
    assertThat(store.revisions(3, 10)).isEmpty();
    assertThatThrownBy(() -> store.revisions(0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.revisions(-1, 5)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---- rollback

  @Test
  void rollbackToAnEarlierVersionIsANewRevision() throws Exception {
    apply(withLabels(upstream("echo", 9001), Map.of("v", "1")));
    apply(upstream("echo", 9002));
    Applied a = store.rollback(ref(upstream("echo", 0)), 1, "alice");
    assertThat(a.revision()).isEqualTo(3);
    assertThat(a.changes()).extracting(ObjectChange::op).containsExactly(Op.UPDATED);
    ConfigObject<?> now = store.get(ref(upstream("echo", 0)));
    assertThat(now.spec()).isEqualTo(upstream("echo", 9001).spec());
    assertThat(now.metadata().labels()).isEqualTo(Map.of("v", "1"));
    assertThat(now.metadata().revision()).isEqualTo(3);
    List<HistoryEntry> h = store.history(ref(upstream("echo", 0)));
    assertThat(h).extracting(HistoryEntry::revision).containsExactly(1L, 2L, 3L);
    assertThat(h.getLast().author()).isEqualTo("alice");
    assertThat(h.getLast().message()).isEqualTo("rollback Upstream/echo to revision 1");
  }

  @Test
  void rollbackToBeforeAnObjectExistedDeletesIt() throws Exception {
    apply(upstream("other", 9001));
    apply(upstream("echo", 9002));
    Applied a = store.rollback(ref(upstream("echo", 0)), 1, "alice");
    assertThat(a.revision()).isEqualTo(3);
    assertThat(a.changes()).extracting(ObjectChange::op).containsExactly(Op.DELETED);
    assertThat(store.get(ref(upstream("echo", 0)))).isNull();
    assertThat(store.history(ref(upstream("echo", 0)))).extracting(HistoryEntry::deleted).containsExactly(false, true);
  }

  @Test
  void rollbackRestoresADeletedObject() throws Exception {
    apply(upstream("echo", 9001));
    delete(upstream("echo", 0));
    Applied a = store.rollback(ref(upstream("echo", 0)), 1, "alice");
    assertThat(a.revision()).isEqualTo(3);
    assertThat(a.changes()).extracting(ObjectChange::op).containsExactly(Op.CREATED);
    assertThat(store.get(ref(upstream("echo", 0))).spec()).isEqualTo(upstream("echo", 9001).spec());
  }

  @Test
  void rollbackToTheCurrentStateChangesNothing() throws Exception {
    apply(upstream("echo", 9001));
    apply(upstream("other", 9002));
    Applied a = store.rollback(ref(upstream("echo", 0)), 2, "alice");
    assertThat(a.revision()).isEqualTo(2);
    assertThat(a.changes()).extracting(ObjectChange::op).containsExactly(Op.UNCHANGED);
    assertThat(store.revision()).isEqualTo(2);
  }

  @Test
  void rollbackThatWouldLeaveAReferenceDanglingIsRefused() throws Exception {
    apply(upstream("other", 9001));
    apply(upstream("echo", 9002), route("r", "echo"));
    StoreConflictException e = null;
    try {
      store.rollback(ref(upstream("echo", 0)), 1, "alice");
    } catch (StoreConflictException x) {
      e = x;
    }
    assertThat(e).isNotNull();
    assertThat(e.reason()).isEqualTo(Reason.REFERENCED);
    assertThat(e.details()).containsExactly("Upstream/echo is referred to by Route/r");
    assertThat(store.revision()).isEqualTo(2);
  }

  @Test
  void rollbackOfAnObjectWithoutHistoryIsRefused() throws Exception {
    apply(upstream("other", 9001));
    assertThatThrownBy(() -> store.rollback(new ObjectRef(Kind.UPSTREAM, "never"), 1, "alice"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Upstream/never");
    assertThatThrownBy(() -> store.rollback(new ObjectRef(Kind.UPSTREAM, "other"), 2, "alice"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- dry run

  @Test
  void dryRunWritesNothingAndReportsTheChangesApplyMakes() throws Exception {
    apply(upstream("echo", 9001), upstream("gone", 9002));
    ChangeSet cs = changes().put(upstream("echo", 9011)).put(route("r", "echo")).delete(ref(upstream("gone", 0))).build();
    Applied dry = store.dryRun(cs);
    assertThat(dry.revision()).isEqualTo(1);
    assertThat(dry.changes()).extracting(ObjectChange::op).containsExactly(Op.UPDATED, Op.DELETED, Op.CREATED);
    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.get(ref(route("r", "echo")))).isNull();
    assertThat(store.get(ref(upstream("gone", 0)))).isNotNull();
    assertThat(store.get(ref(upstream("echo", 0))).spec()).isEqualTo(upstream("echo", 9001).spec());
    assertThat(store.revisions(0, 10)).hasSize(1);
    Applied real = store.apply(cs);
    assertThat(real.revision()).isEqualTo(2);
    assertThat(real.changes()).isEqualTo(dry.changes());
  }

  @Test
  void dryRunRefusesWhatApplyRefuses() throws Exception {
    apply(upstream("echo", 9001), route("r", "echo"));
    assertThatThrownBy(() -> store.dryRun(changes().delete(ref(upstream("echo", 0))).build()))
        .isInstanceOfSatisfying(StoreConflictException.class, e -> assertThat(e.reason()).isEqualTo(Reason.REFERENCED));
    assertThatThrownBy(() -> store.dryRun(changes().put(route("x", "missing")).build()))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(ConfigError::field).containsExactly("spec.upstream"));
    assertThat(store.revision()).isEqualTo(1);
  }

  // ---- watch

  @Test
  void watchFromZeroDeliversEveryStoredRevisionThenLiveOnes() throws Exception {
    apply(upstream("a", 9001));
    apply(upstream("b", 9002));
    delete(upstream("a", 0));
    Recorder r = new Recorder();
    try (Watch w = store.watch(0, r)) {
      r.awaitRevision(3);
      apply(upstream("c", 9003));
      r.awaitRevision(4);
      assertThat(r.revisions()).containsExactly(1L, 2L, 3L, 4L);
      assertThat(r.events.get(0).items()).containsExactly(new WatchEvent.Item(ref(upstream("a", 0)), store.history(ref(upstream("a", 0))).get(0).object()));
      assertThat(r.events.get(2).items()).containsExactly(new WatchEvent.Item(ref(upstream("a", 0)), null));
      assertThat(r.events.get(3).items()).containsExactly(new WatchEvent.Item(ref(upstream("c", 0)), store.get(ref(upstream("c", 0)))));
      assertThat(r.events.get(3).author()).isEqualTo("tester");
      assertThat(r.events.get(3).time()).isEqualTo(store.revisions(3, 1).getFirst().time());
    }
    assertThat(r.error).isNotDone();
  }

  @Test
  void watchFromTheMiddleStartsAfterThatRevision() throws Exception {
    for (int i = 1; i <= 5; i++) apply(upstream("a", 9000 + i));
    Recorder r = new Recorder();
    try (Watch w = store.watch(3, r)) {
      r.awaitRevision(5);
      apply(upstream("a", 9100));
      r.awaitRevision(6);
    }
    assertThat(r.revisions()).containsExactly(4L, 5L, 6L);
    assertThat(r.events.getFirst().items().getFirst().object().spec()).isEqualTo(upstream("a", 9004).spec());
  }

  @Test
  void watchFromTheCurrentRevisionDeliversOnlyNewOnes() throws Exception {
    apply(upstream("a", 9001));
    apply(upstream("a", 9002));
    Recorder r = new Recorder();
    try (Watch w = store.watch(store.revision(), r)) {
      apply(upstream("a", 9003));
      r.awaitRevision(3);
    }
    assertThat(r.revisions()).containsExactly(3L);
  }

  @Test
  void watchEventHoldsEveryObjectItsRevisionChangedAndNothingElse() throws Exception {
    apply(upstream("a", 9001), upstream("b", 9002));
    Recorder r = new Recorder();
    try (Watch w = store.watch(1, r)) {
      store.apply(changes().put(upstream("a", 9001)).put(upstream("c", 9003)).put(route("r", "c")).delete(ref(upstream("b", 0))).build());
      r.awaitRevision(2);
    }
    WatchEvent e = r.events.getFirst();
    assertThat(e.items()).extracting(i -> i.ref().toString()).containsExactly("Upstream/b", "Upstream/c", "Route/r");
    assertThat(e.items().get(0).object()).isNull();
    assertThat(e.items().get(1).object()).isEqualTo(store.get(ref(upstream("c", 0))));
    assertThat(e.items().get(2).object().metadata().revision()).isEqualTo(2);
  }

  @Test
  void watchOfAFutureOrNegativeRevisionIsRefused() throws Exception {
    apply(upstream("a", 9001));
    assertThatThrownBy(() -> store.watch(2, new Recorder())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2");
    assertThatThrownBy(() -> store.watch(-1, new Recorder())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void watchesSeeConcurrentAppliesInOrderWithoutGapsOrDuplicates() throws Exception {
    int writers = 4;
    int perWriter = 25;
    long total = (long) writers * perWriter;
    Recorder fromStart = new Recorder();
    List<Watch> watches = new ArrayList<>();
    watches.add(store.watch(0, fromStart));
    // The writers pause half-way, so that the later watches start while there is more to come.
    CountDownLatch halfWay = new CountDownLatch(writers);
    CountDownLatch goOn = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    for (int t = 0; t < writers; t++) {
      int id = t;
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          for (int i = 0; i < perWriter; i++) {
            if (i == perWriter / 2) {
              halfWay.countDown();
              goOn.await();
            }
            store.apply(changes().put(upstream("w" + id, 10_000 + i)).put(withLabels(upstream("shared-" + id, 9000), Map.of("i", "" + i))).build());
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      }));
    }
    assertThat(halfWay.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    long middle = store.revision() - 10;
    Recorder fromMiddle = new Recorder();
    watches.add(store.watch(middle, fromMiddle));
    long later = store.revision();
    Recorder fromLater = new Recorder();
    watches.add(store.watch(later, fromLater));
    goOn.countDown();
    for (Thread t : threads) t.join(WAIT);
    assertThat(failures).isEmpty();
    assertThat(store.revision()).isEqualTo(total);
    for (Recorder r : List.of(fromStart, fromMiddle, fromLater)) r.awaitRevision(total);
    watches.forEach(Watch::close);

    assertThat(fromStart.revisions()).isEqualTo(range(1, total));
    assertThat(fromMiddle.revisions()).isEqualTo(range(middle + 1, total));
    assertThat(fromLater.revisions()).isEqualTo(range(later + 1, total));
    List<RevisionInfo> infos = store.revisions(0, (int) total);
    for (WatchEvent e : fromStart.events) {
      RevisionInfo info = infos.get((int) e.revision() - 1);
      assertThat(e.items()).extracting(WatchEvent.Item::ref).isEqualTo(info.objects());
      assertThat(e.time()).isEqualTo(info.time());
      for (WatchEvent.Item item : e.items()) assertThat(item.object().metadata().revision()).isEqualTo(e.revision());
    }
    assertThat(fromMiddle.events).isEqualTo(fromStart.events.subList((int) middle, (int) total));
    assertThat(fromLater.events).isEqualTo(fromStart.events.subList((int) later, (int) total));
  }

  @Test
  void closedWatchDeliversNothingMore() throws Exception {
    apply(upstream("a", 9001));
    Recorder closed = new Recorder();
    Watch w = store.watch(0, closed);
    closed.awaitRevision(1);
    w.close();
    w.close();
    apply(upstream("a", 9002));
    // A second watch seeing revision 2 shows it was delivered to whoever still watches.
    Recorder open = new Recorder();
    try (Watch w2 = store.watch(1, open)) {
      open.awaitRevision(2);
    }
    assertThat(closed.revisions()).containsExactly(1L);
    assertThat(closed.error).isNotDone();
  }

  @Test
  void listenerThatThrowsEndsItsWatchAndGetsTheErrorInOnError() throws Exception {
    apply(upstream("a", 9001));
    RuntimeException boom = new IllegalStateException("listener failed");
    List<Long> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> error = new CompletableFuture<>();
    try (Watch w = store.watch(0, new WatchListener() {
      @Override
      public void onEvent(WatchEvent event) {
        seen.add(event.revision());
        throw boom;
      }

      @Override
      public void onError(Throwable e) {
        error.complete(e);
      }
    })) {
      assertThat(error.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isSameAs(boom);
      apply(upstream("a", 9002));
      Recorder other = new Recorder();
      try (Watch w2 = store.watch(1, other)) {
        other.awaitRevision(2);
      }
    }
    assertThat(seen).containsExactly(1L);
  }

  @Test
  void watchCanBeClosedByItsOwnListener() throws Exception {
    apply(upstream("a", 9001));
    apply(upstream("a", 9002));
    List<Long> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Watch> watch = new CompletableFuture<>();
    Watch w = store.watch(0, e -> {
      seen.add(e.revision());
      watch.join().close();
    });
    watch.complete(w);
    await().atMost(WAIT).until(() -> !seen.isEmpty());
    apply(upstream("a", 9003));
    Recorder other = new Recorder();
    try (Watch w2 = store.watch(2, other)) {
      other.awaitRevision(3);
    }
    assertThat(seen).containsExactly(1L);
  }

  @Test
  void closingTheStoreEndsItsWatchesAndLaterCallsFail() throws Exception {
    apply(upstream("a", 9001));
    Recorder r = new Recorder();
    store.watch(0, r);
    r.awaitRevision(1);
    store.close();
    assertThat(r.error.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.revision()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.snapshot()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> apply(upstream("b", 9002))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.watch(0, new Recorder())).isInstanceOf(IllegalStateException.class);
    store.close();
  }

  // ---- change requests

  private static io.sluice.store.changes.ChangeRequest proposal(String title, long base, Change... changes) {
    return io.sluice.store.changes.ChangeRequest.proposed(title, "why: " + title, "alice",
        Instant.parse("2026-01-02T03:04:05Z"), base, List.of(changes));
  }

  /** Equal as stored (objects read back name the change request as their source). */
  private static boolean sameRequest(io.sluice.store.changes.@org.jspecify.annotations.Nullable ChangeRequest a,
      io.sluice.store.changes.ChangeRequest b) {
    return a != null && a.id() == b.id() && a.version() == b.version()
        && io.sluice.store.changes.ChangeRequestJson.write(a).equals(io.sluice.store.changes.ChangeRequestJson.write(b));
  }

  @Test
  void changeRequestsGetIncreasingIdsAndReadBackWhole() throws Exception {
    apply(upstream("echo", 9001));
    var requests = store.changeRequests();
    assertThat(requests.list()).isEmpty();
    var first = requests.create(proposal("add orders", 1, Change.put(route("orders", "echo")), Change.delete(ref(upstream("old", 1)))));
    var second = requests.create(proposal("more", 1, Change.put(upstream("b", 9002))));
    assertThat(first.id()).isEqualTo(1);
    assertThat(second.id()).isEqualTo(2);
    assertThat(first.version()).isEqualTo(1);
    var read = requests.get(1);
    assertThat(sameRequest(read, first)).isTrue();
    assertThat(read.changes()).hasSize(2);
    assertThat(((Change.Put) read.changes().get(0)).object().spec()).isEqualTo(route("orders", "echo").spec());
    assertThat(read.changes().get(1)).isEqualTo(Change.delete(ref(upstream("old", 1))));
    assertThat(requests.list()).extracting(io.sluice.store.changes.ChangeRequest::id).containsExactly(1L, 2L);
    assertThat(requests.get(3)).isNull();
  }

  @Test
  void changeRequestUpdateIsCompareAndSetOnItsVersion() throws Exception {
    var requests = store.changeRequests();
    var created = requests.create(proposal("add b", 0, Change.put(upstream("b", 9002))));
    var review = new io.sluice.store.changes.ChangeRequest.Review("bob", io.sluice.store.changes.ChangeRequest.Verdict.APPROVED,
        "looks good", Instant.parse("2026-01-02T04:00:00Z"));
    var approved = requests.update(created.withReviews(io.sluice.store.changes.ChangeRequest.State.APPROVED, List.of(review)));
    assertThat(approved.version()).isEqualTo(2);
    assertThat(sameRequest(requests.get(created.id()), approved)).isTrue();
    // A second reviewer who read version 1 does not overwrite the first one's approval.
    assertThatThrownBy(() -> requests.update(created.withReviews(io.sluice.store.changes.ChangeRequest.State.REJECTED, List.of())))
        .isInstanceOfSatisfying(StoreConflictException.class, e -> assertThat(e.reason()).isEqualTo(Reason.REVISION_MISMATCH));
    var published = requests.update(approved.published(7, "carol"));
    assertThat(sameRequest(requests.get(created.id()), published)).isTrue();
    assertThat(published.publishedRevision()).isEqualTo(7);
    assertThat(published.approvers()).containsExactly("bob");
    assertThatThrownBy(() -> requests.update(published.stored(42, 1)))
        .isInstanceOfSatisfying(StoreConflictException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
  }
}
