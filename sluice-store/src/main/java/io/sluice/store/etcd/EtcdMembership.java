package io.sluice.store.etcd;

import io.etcd.jetcd.Client;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.sluice.store.Membership;
import io.sluice.store.NodeRecord;
import io.sluice.store.StoreException;
import io.sluice.store.etcd.internal.Calls;
import io.sluice.store.etcd.internal.Keys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet of one etcd prefix: each node's {@link NodeRecord} as JSON under
 * {@code <prefix>/nodes/<id>}, attached to a lease of {@link #DEFAULT_TTL} that the node keeps alive.
 * A node that stops revokes its lease (its key goes at once); one that dies stops renewing it, and
 * etcd deletes the key when the TTL runs out.
 *
 * <p>Writes happen on one thread of its own (lowest priority, daemon): {@link #publish} only hands
 * the record over. The thread also checks every {@link #CHECK_EVERY} that the lease is still alive;
 * when etcd was away longer than the TTL the lease is gone, and the node registers again with a new
 * one, so a node comes back into the list by itself. A write that fails is tried again then; it is
 * logged once until one succeeds.
 *
 * <p>The node's etcd user needs write access only to its own key (and read access to
 * {@code <prefix>/nodes/} for {@link #nodes()}): README "Run a fleet".
 *
 * <p>Thread-safe.
 */
public final class EtcdMembership implements Membership {
  /** How long a dead node stays listed: the lease's time to live. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(5);
  /** How often the writer checks its lease and writes what has not been written. */
  static final Duration CHECK_EVERY = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(EtcdMembership.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final EtcdConnection connection;
  /** Its own connection: a node serving from its cache registers as soon as etcd answers. */
  private final Client client;
  private final Keys keys;
  private final Duration ttl;
  private final ScheduledExecutorService writer;
  private volatile @Nullable NodeRecord wanted;
  private volatile boolean leaseLost;
  private volatile boolean closed;
  // Owned by the writer thread.
  private @Nullable NodeRecord written;
  private long leaseId;
  private @Nullable CloseableClient keepAlive;
  private @Nullable String lastFailure;

  private EtcdMembership(EtcdConnection connection, Duration ttl) {
    this.connection = connection;
    this.client = EtcdConfigStore.client(connection);
    this.keys = new Keys(connection.prefix());
    this.ttl = ttl;
    this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sluice-membership");
      t.setDaemon(true);
      // Control plane: below the event loops (docs/architecture.md, "Threads and priorities").
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
    long every = CHECK_EVERY.toMillis();
    writer.scheduleWithFixedDelay(this::sync, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * The membership of the fleet under {@code connection}'s prefix, on a client of its own (closed
   * with it), so that it does not wait for the store to open: a node that serves from its cache
   * while etcd is away registers once etcd answers. Nothing is registered until the first
   * {@link #publish}.
   *
   * @param ttl how long a node that died stays listed; whole seconds, at least 2
   */
  public static EtcdMembership open(EtcdConnection connection, Duration ttl) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.toSeconds() < 2 || ttl.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("ttl: expected whole seconds, at least 2s, got " + ttl);
    }
    return new EtcdMembership(connection, ttl);
  }

  @Override
  public void publish(NodeRecord self) {
    Objects.requireNonNull(self, "self");
    NodeRecord before = wanted;
    if (before != null && !before.id().equals(self.id())) {
      throw new IllegalArgumentException("this membership is node '" + before.id() + "'s, got a record of '" + self.id() + "'");
    }
    wanted = self;
    if (!closed) writer.execute(this::sync);
  }

  /** Registers or updates the record when needed. Writer thread only. */
  private void sync() {
    NodeRecord record = wanted;
    if (closed || record == null) return;
    try {
      if (leaseId == 0 || leaseLost) {
        renewLease();
        written = null;
      }
      if (!record.equals(written)) {
        Calls.await(client.getKVClient().put(keys.node(record.id()), Keys.bytes(json(record)),
            PutOption.builder().withLeaseId(leaseId).build()), connection.timeout(),
            "registering node " + record.id() + " under " + keys + "/nodes/", connection.url());
        written = record;
      }
      if (lastFailure != null) log.info("node {} registered in the fleet again", record.id());
      lastFailure = null;
    } catch (StoreException | IllegalStateException e) {
      if (!String.valueOf(e.getMessage()).equals(lastFailure)) {
        log.warn("{}; trying again every {}s", e.getMessage(), CHECK_EVERY.toSeconds());
      }
      lastFailure = String.valueOf(e.getMessage());
    }
  }

  private void renewLease() {
    CloseableClient old = keepAlive;
    if (old != null) old.close();
    keepAlive = null;
    var leases = client.getLeaseClient();
    long id = Calls.await(leases.grant(ttl.toSeconds()), connection.timeout(), "granting the membership lease",
        connection.url()).getID();
    leaseId = id;
    leaseLost = false;
    keepAlive = leases.keepAlive(id, new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse r) {
        if (r.getTTL() <= 0) leaseLost = true;
      }

      @Override
      public void onError(Throwable t) {
        leaseLost = true;
      }

      @Override
      public void onCompleted() {
        leaseLost = true;
      }
    });
  }

  @Override
  public List<NodeRecord> nodes() {
    if (closed) throw new IllegalStateException("the membership of " + keys + " is closed");
    GetResponse r = Calls.await(client.getKVClient().get(keys.nodes(), GetOption.builder().isPrefix(true).build()),
        connection.timeout(), "reading the nodes under " + keys + "/nodes/", connection.url());
    List<NodeRecord> out = new ArrayList<>();
    for (KeyValue kv : r.getKvs()) {
      try {
        out.add(record(kv.getValue()));
      } catch (RuntimeException | JsonProcessingException e) {
        // One node's bad record (written by hand, by another version) must not hide the others.
        log.warn("skipping the node record {}: {}", kv.getKey().toString(StandardCharsets.UTF_8), e.getMessage());
      }
    }
    out.sort(Comparator.comparing(NodeRecord::id));
    return out;
  }

  /** Stops renewing and revokes the lease: the node's key is gone before this returns (unless etcd is away). */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    writer.shutdown();
    try {
      if (!writer.awaitTermination(connection.timeout().toMillis(), TimeUnit.MILLISECONDS)) writer.shutdownNow();
    } catch (InterruptedException e) {
      writer.shutdownNow();
      Thread.currentThread().interrupt();
    }
    CloseableClient k = keepAlive;
    if (k != null) k.close();
    if (leaseId != 0) {
      try {
        Calls.await(client.getLeaseClient().revoke(leaseId), connection.timeout(), "revoking the membership lease",
            connection.url());
      } catch (StoreException e) {
        log.warn("{}; the node's record goes when its lease runs out ({}s)", e.getMessage(), ttl.toSeconds());
      }
    }
    client.close();
  }

  static String json(NodeRecord n) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", n.id());
    o.put("address", n.address());
    o.put("role", n.role());
    o.put("version", n.version());
    ObjectNode labels = o.putObject("labels");
    n.labels().forEach(labels::put);
    o.put("appliedRevision", n.appliedRevision());
    NodeRecord.ApplyError e = n.lastApplyError();
    if (e == null) {
      o.putNull("lastApplyError");
    } else {
      o.putObject("lastApplyError").put("revision", e.revision()).put("message", e.message()).put("time", e.time().toString());
    }
    o.put("startedAt", n.startedAt().toString());
    o.put("canary", n.canary());
    NodeRecord.Traffic t = n.traffic();
    if (t != null) {
      o.putObject("traffic").put("windowMillis", t.window().toMillis()).put("requests", t.requests()).put("errors", t.errors())
          .put("p99Micros", t.p99().toNanos() / 1000);
    }
    return o.toString();
  }

  static NodeRecord record(ByteSequence value) throws JsonProcessingException {
    JsonNode o = JSON.readTree(value.toString(StandardCharsets.UTF_8));
    Map<String, String> labels = new LinkedHashMap<>();
    o.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
    JsonNode e = o.path("lastApplyError");
    NodeRecord.ApplyError error = e.isObject()
        ? new NodeRecord.ApplyError(e.path("revision").asLong(), e.path("message").asText(), Instant.parse(e.path("time").asText()))
        : null;
    JsonNode t = o.path("traffic");
    NodeRecord.Traffic traffic = t.isObject()
        ? new NodeRecord.Traffic(Duration.ofMillis(t.path("windowMillis").asLong()), t.path("requests").asLong(), t.path("errors").asLong(),
            Duration.ofNanos(t.path("p99Micros").asLong() * 1000))
        : null;
    JsonNode canary = o.path("canary");
    return new NodeRecord(o.path("id").asText(), o.path("address").asText(), o.path("role").asText(), o.path("version").asText(),
        labels, o.path("appliedRevision").asLong(), error, Instant.parse(o.path("startedAt").asText()),
        canary.isTextual() ? canary.asText() : null, traffic);
  }
}
