package io.sluice.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.sluice.store.NodeRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EtcdMembership} against a real etcd: registration, updates, leaving, and coming back after the lease was lost. */
class EtcdMembershipTest {
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

  private static EtcdConnection connection(String prefix) {
    return EtcdConnection.parse(etcd.url(prefix));
  }

  private static NodeRecord record(String id, long applied) {
    return new NodeRecord(id, "127.0.0.1:9901", "data-plane", "1.0", Map.of("zone", "a"), applied,
        applied == 3 ? new NodeRecord.ApplyError(3, "Listener/web: cannot bind 127.0.0.1:80", Instant.parse("2026-01-02T03:04:05Z")) : null,
        Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void aNodeIsListedWithItsLatestRecordAndLeavesAtOnceWhenItCloses() throws Exception {
    {
      EtcdMembership a = EtcdMembership.open(connection("/sluice/members"), EtcdMembership.DEFAULT_TTL);
      try (EtcdMembership b = EtcdMembership.open(connection("/sluice/members"), EtcdMembership.DEFAULT_TTL)) {
        a.publish(record("edge-a", 1));
        b.publish(record("edge-b", 1));
        await().atMost(Duration.ofSeconds(10)).until(() -> b.nodes().equals(List.of(record("edge-a", 1), record("edge-b", 1))));
        a.publish(record("edge-a", 3));
        await().atMost(Duration.ofSeconds(10)).until(() -> b.nodes().getFirst().equals(record("edge-a", 3)));
        assertThatThrownBy(() -> a.publish(record("edge-z", 3))).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("this membership is node 'edge-a's, got a record of 'edge-z'");
        a.close();
        assertThat(b.nodes()).containsExactly(record("edge-b", 1));
      }
    }
  }

  @Test
  void aNodeWhoseLeaseWasLostRegistersAgainByItself() throws Exception {
    try (EtcdMembership m = EtcdMembership.open(connection("/sluice/lost"), EtcdMembership.DEFAULT_TTL);
        Client admin = etcd.client()) {
      m.publish(record("edge-a", 1));
      ByteSequence key = ByteSequence.from("/sluice/lost/nodes/edge-a", StandardCharsets.UTF_8);
      await().atMost(Duration.ofSeconds(10)).until(() -> !admin.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs().isEmpty());
      KeyValue kv = admin.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs().getFirst();
      assertThat(kv.getLease()).isNotZero();
      // What etcd does when a node was cut off longer than the TTL: the lease and its key are gone.
      admin.getLeaseClient().revoke(kv.getLease()).get(10, TimeUnit.SECONDS);
      assertThat(admin.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs()).isEmpty();
      await().atMost(Duration.ofSeconds(10)).until(() -> m.nodes().equals(List.of(record("edge-a", 1))));
      assertThat(admin.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs().getFirst().getLease()).isNotEqualTo(kv.getLease());
    }
  }
}
