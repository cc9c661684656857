package io.sluice.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.store.LeaderElection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EtcdLeaderElection} with three candidates on a real etcd: one leader at a time, a new one when it goes. */
class EtcdLeaderElectionTest {
  private static final Duration TTL = Duration.ofSeconds(3);

  @TempDir
  static Path tmp;

  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() throws Exception {
    EtcdProcess.assumeInstalled();
    etcd = EtcdProcess.start(tmp.resolve("etcd"));
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) etcd.close();
  }

  /** What the candidates' listeners saw, in order, and how many led at once at most. */
  private static final class Fleet {
    record Event(String candidate, boolean elected, long nanos) {}

    final List<Event> events = new CopyOnWriteArrayList<>();
    final AtomicInteger leading = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    LeaderElection.Listener listener(String candidate) {
      return new LeaderElection.Listener() {
        @Override
        public void elected() {
          mostAtOnce.accumulateAndGet(leading.incrementAndGet(), Math::max);
          events.add(new Event(candidate, true, System.nanoTime()));
        }

        @Override
        public void lost(String why) {
          leading.decrementAndGet();
          events.add(new Event(candidate, false, System.nanoTime()));
        }
      };
    }

    List<String> electedSoFar() {
      return events.stream().filter(Event::elected).map(Event::candidate).toList();
    }

    Event first(String candidate, boolean elected) {
      return events.stream().filter(e -> e.candidate().equals(candidate) && e.elected() == elected).findFirst().orElseThrow();
    }
  }

  private static List<EtcdLeaderElection> candidates(Fleet fleet, String election, List<String> urls) {
    List<EtcdLeaderElection> out = new ArrayList<>();
    for (int i = 0; i < urls.size(); i++) {
      String id = "node-" + i;
      out.add(EtcdLeaderElection.open(EtcdConnection.parse(urls.get(i)).withTimeout(Duration.ofSeconds(2)), election, id, TTL,
          fleet.listener(id)));
    }
    out.forEach(EtcdLeaderElection::start);
    return out;
  }

  private static EtcdLeaderElection theLeader(List<EtcdLeaderElection> candidates) {
    return candidates.stream().filter(EtcdLeaderElection::isLeader).findFirst().orElseThrow();
  }

  @Test
  void threeCandidatesHaveExactlyOneLeaderAndElectAnotherWithinTheTtlWhenItResigns() throws Exception {
    Fleet fleet = new Fleet();
    String url = etcd.url("/sluice/election-close");
    List<EtcdLeaderElection> candidates = candidates(fleet, "controller", List.of(url, url, url));
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> fleet.electedSoFar().size() == 1);
      EtcdLeaderElection first = theLeader(candidates);
      // The others stay candidates: a while later still one leader, and every candidate names it.
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> fleet.electedSoFar().size() == 1);
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(candidates).extracting(EtcdLeaderElection::leader).containsOnly(first.candidate()));

      long closedAt = System.nanoTime();
      first.close();
      await().atMost(TTL).until(() -> fleet.electedSoFar().size() == 2);
      String second = fleet.electedSoFar().get(1);
      assertThat(second).isNotEqualTo(first.candidate());
      assertThat(fleet.first(first.candidate(), false).nanos()).isLessThan(fleet.first(second, true).nanos());
      assertThat(Duration.ofNanos(fleet.first(second, true).nanos() - closedAt)).isLessThan(TTL);
      assertThat(fleet.mostAtOnce.get()).isEqualTo(1);
    } finally {
      candidates.forEach(EtcdLeaderElection::close);
    }
    assertThat(fleet.leading.get()).isZero();
  }

  @Test
  void aLeaderCutOffFromEtcdStopsLeadingBeforeAnotherIsElected() throws Exception {
    Fleet fleet = new Fleet();
    int port = etcd.members().getFirst().clientPort();
    List<CuttableProxy> proxies = List.of(new CuttableProxy(port), new CuttableProxy(port), new CuttableProxy(port));
    List<String> urls = proxies.stream().map(p -> "etcd://127.0.0.1:" + p.port() + "/sluice/election-cut").toList();
    List<EtcdLeaderElection> candidates = candidates(fleet, "controller", urls);
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> fleet.electedSoFar().size() == 1);
      EtcdLeaderElection first = theLeader(candidates);
      proxies.get(candidates.indexOf(first)).cut();

      // The cut leader cannot renew its lease: it stops leading, and etcd then lets the next one in.
      await().atMost(TTL.multipliedBy(3)).until(() -> fleet.electedSoFar().size() == 2);
      String second = fleet.electedSoFar().get(1);
      assertThat(second).isNotEqualTo(first.candidate());
      assertThat(first.isLeader()).isFalse();
      assertThat(fleet.first(first.candidate(), false).nanos()).isLessThan(fleet.first(second, true).nanos());
      assertThat(fleet.mostAtOnce.get()).isEqualTo(1);
    } finally {
      candidates.forEach(EtcdLeaderElection::close);
      for (CuttableProxy p : proxies) p.close();
    }
  }

  @Test
  void aFleetOfOneLeadsFromStartToClose() {
    Fleet fleet = new Fleet();
    LeaderElection alone = LeaderElection.alone("node-a", fleet.listener("node-a"));
    assertThat(alone.isLeader()).isFalse();
    alone.start();
    assertThat(alone.isLeader()).isTrue();
    assertThat(alone.leader()).isEqualTo("node-a");
    alone.close();
    assertThat(alone.isLeader()).isFalse();
    assertThat(fleet.events).extracting(Fleet.Event::elected).containsExactly(true, false);
  }

  @Test
  void openRefusesANameThatIsNoKeySegmentAndATtlUnderTwoSeconds() {
    EtcdConnection c = EtcdConnection.parse(etcd.url("/sluice/x"));
    LeaderElection.Listener l = new Fleet().listener("n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EtcdLeaderElection.open(c, "a/b", "n", TTL, l))
        .hasMessage("name 'a/b': expected letters, digits, '.', '_' and '-'");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EtcdLeaderElection.open(c, "a", "n", Duration.ofMillis(1500), l))
        .hasMessage("ttl: expected whole seconds, at least 2s, got PT1.5S");
  }
}
