package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.store.Canaries;
import io.sluice.store.Canary;
import io.sluice.store.CanaryOutcome;
import io.sluice.store.Change;
import io.sluice.store.changes.ChangeRequest;
import io.sluice.store.sqlite.SqliteConfigStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the end of a canary settles the change request it was published for, on a real SQLite store:
 * whoever ended it (an operator, the controller's automatic abort, a forced write), only when the
 * canary record says this call ended it.
 */
class ChangeCanariesTest {
  private static final Instant T = Instant.parse("2026-12-07T15:01:02Z");

  @TempDir Path dir;
  SqliteConfigStore store;
  final List<String> events = new ArrayList<>();
  /** What the wrapped record answers to finish. */
  boolean ends = true;

  @BeforeEach
  void open() {
    store = SqliteConfigStore.open(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private ChangeCanaries canaries() {
    Canaries record = new Canaries() {
      @Override
      public @Nullable Canary active() {
        return null;
      }

      @Override
      public void start(Canary canary) {}

      @Override
      public boolean finish(CanaryOutcome outcome) {
        return ends;
      }

      @Override
      public List<CanaryOutcome> finished(int limit) {
        return List.of();
      }

      @Override
      public void close() {}
    };
    return new ChangeCanaries(record, store, (type, data) -> events.add(type + " " + data.get("id") + " " + data.get("revision")));
  }

  private ChangeRequest inCanary(String canary) throws Exception {
    ConfigObject<?> route = ObjectCodec.readJson("test", """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"hello"},
         "spec":{"match":{"path":{"prefix":"/"}},"directResponse":{"status":200,"body":"v2"}}}""").getFirst();
    ChangeRequest c = store.changeRequests().create(ChangeRequest.proposed("route v2", "", "alice", T, 0, List.of(Change.put(route))));
    c = store.changeRequests().update(c.withReviews(ChangeRequest.State.APPROVED,
        List.of(new ChangeRequest.Review("bob", ChangeRequest.Verdict.APPROVED, "", T))));
    return store.changeRequests().update(c.inCanary(canary));
  }

  private static CanaryOutcome outcome(String id, String state, String by, String reason, long revision) {
    return new CanaryOutcome(id, "zone=a", List.of("n1"), 0, state, by, reason, revision, T);
  }

  @Test
  void anAutomaticAbortMakesTheChangeApprovedAgainWithTheControllersReason() throws Exception {
    ChangeRequest c = inCanary("c-1");
    assertThat(canaries().finish(outcome("c-1", CanaryOutcome.ABORTED, "canary-controller", "automatic abort: 5xx 40% vs 0%", 0)))
        .isTrue();
    ChangeRequest after = java.util.Objects.requireNonNull(store.changeRequests().get(c.id()));
    assertThat(after.state()).isEqualTo(ChangeRequest.State.APPROVED);
    assertThat(after.canary()).isEqualTo("c-1");
    assertThat(after.canaryAbort()).isEqualTo("canary c-1 aborted by canary-controller: automatic abort: 5xx 40% vs 0%");
    assertThat(after.approvers()).containsExactly("bob");
    assertThat(after.publishedRevision()).isZero();
    assertThat(events).isEmpty();
  }

  @Test
  void aPromotionPublishesTheChangeAsThePromotedRevisionAndTellsChangePublished() throws Exception {
    ChangeRequest c = inCanary("c-2");
    canaries().finish(outcome("c-2", CanaryOutcome.PROMOTED, "carol", "promoted by carol as revision 7", 7));
    ChangeRequest after = java.util.Objects.requireNonNull(store.changeRequests().get(c.id()));
    assertThat(after.state()).isEqualTo(ChangeRequest.State.PUBLISHED);
    assertThat(after.publishedRevision()).isEqualTo(7);
    assertThat(after.publishedBy()).isEqualTo("carol");
    assertThat(events).containsExactly("change.published " + c.id() + " 7");
  }

  @Test
  void aCanaryThisCallDidNotEndOrThatNoChangeRunsAsLeavesTheChangesAlone() throws Exception {
    ChangeRequest c = inCanary("c-3");
    ends = false;
    assertThat(canaries().finish(outcome("c-3", CanaryOutcome.PROMOTED, "carol", "", 7))).isFalse();
    ends = true;
    canaries().finish(outcome("c-other", CanaryOutcome.ABORTED, "dave", "no", 0));
    ChangeRequest after = java.util.Objects.requireNonNull(store.changeRequests().get(c.id()));
    assertThat(after.state()).isEqualTo(ChangeRequest.State.CANARY);
    assertThat(after.version()).isEqualTo(c.version());
    assertThat(events).isEmpty();
  }
}
