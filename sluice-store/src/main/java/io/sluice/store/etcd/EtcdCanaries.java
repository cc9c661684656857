package io.sluice.store.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.store.Canaries;
import io.sluice.store.Canary;
import io.sluice.store.CanaryOutcome;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import io.sluice.store.etcd.internal.Calls;
import io.sluice.store.etcd.internal.Keys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The fleet's config canary in etcd: the running one as JSON in {@code <prefix>/canary}, each that
 * ended in {@code <prefix>/canaries/<id>}. Starting is a transaction that requires
 * {@code <prefix>/canary} to be absent; ending one is a transaction that requires it to hold that
 * canary and deletes it while writing the outcome, so two callers never both end it.
 *
 * <p>On a client of its own (closed with it), so that it does not wait for the store to open: a
 * data-plane node that serves from its cache learns of a canary once etcd answers. Data-plane etcd
 * users need only read access to these keys; the control plane's writes them.
 *
 * <p>Thread-safe.
 */
public final class EtcdCanaries implements Canaries {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final EtcdConnection connection;
  private final Client client;
  private final Keys keys;

  private EtcdCanaries(EtcdConnection connection) {
    this.connection = connection;
    this.client = EtcdConfigStore.client(connection);
    this.keys = new Keys(connection.prefix());
  }

  /** The canary of the fleet under {@code connection}'s prefix; connects lazily, as jetcd does. */
  public static EtcdCanaries open(EtcdConnection connection) {
    return new EtcdCanaries(Objects.requireNonNull(connection, "connection"));
  }

  @Override
  public @Nullable Canary active() {
    GetResponse r = get(keys.canary(), GetOption.DEFAULT, "reading the running canary");
    if (r.getKvs().isEmpty()) return null;
    return canary(r.getKvs().getFirst().getValue());
  }

  @Override
  public void start(Canary canary) throws StoreConflictException {
    Objects.requireNonNull(canary, "canary");
    TxnResponse r = Calls.await(client.getKVClient().txn()
        .If(new Cmp(keys.canary(), Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(keys.canary(), Keys.bytes(json(canary)), PutOption.DEFAULT))
        .commit(), connection.timeout(), "starting canary " + canary.id(), connection.url());
    if (!r.isSucceeded()) {
      Canary running = active();
      throw new StoreConflictException(StoreConflictException.Reason.ALREADY_EXISTS,
          List.of("canary " + (running == null ? "(just ended)" : running.id()) + " is running; only one canary runs at a time"));
    }
  }

  @Override
  public boolean finish(CanaryOutcome outcome) {
    Objects.requireNonNull(outcome, "outcome");
    GetResponse current = get(keys.canary(), GetOption.DEFAULT, "reading the running canary");
    if (current.getKvs().isEmpty()) return false;
    KeyValue kv = current.getKvs().getFirst();
    if (!canary(kv.getValue()).id().equals(outcome.id())) return false;
    TxnResponse r = Calls.await(client.getKVClient().txn()
        .If(new Cmp(keys.canary(), Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())))
        .Then(Op.delete(keys.canary(), DeleteOption.DEFAULT),
            Op.put(keys.canaryOutcome(outcome.id()), Keys.bytes(json(outcome)), PutOption.DEFAULT))
        .commit(), connection.timeout(), "ending canary " + outcome.id(), connection.url());
    return r.isSucceeded();
  }

  @Override
  public List<CanaryOutcome> finished(int limit) {
    if (limit <= 0) throw new IllegalArgumentException("limit must be > 0, got " + limit);
    GetResponse r = get(keys.canaries(), GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.KEY)
        .withSortOrder(GetOption.SortOrder.DESCEND).withLimit(limit).build(), "reading the canary history");
    List<CanaryOutcome> out = new ArrayList<>();
    for (KeyValue kv : r.getKvs()) out.addFirst(outcome(kv.getValue()));
    return out;
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "EtcdCanaries[" + connection + "]";
  }

  private GetResponse get(ByteSequence key, GetOption option, String what) {
    return Calls.await(client.getKVClient().get(key, option), connection.timeout(), what, connection.url());
  }

  static String json(Canary c) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", c.id());
    o.put("baseRevision", c.baseRevision());
    ArrayNode objects = o.putArray("objects");
    try {
      for (ConfigObject<?> object : c.objects()) objects.add(JSON.readTree(ObjectCodec.toJson(object)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the object codec wrote JSON that does not parse", e);
    }
    o.put("selector", c.selector());
    ArrayNode nodes = o.putArray("nodes");
    c.nodes().forEach(nodes::add);
    o.put("author", c.author());
    o.put("message", c.message());
    o.put("startedAt", c.startedAt().toString());
    Canary.AutoAbort a = c.autoAbort();
    o.putObject("autoAbort").put("enabled", a.enabled()).put("errorRateMargin", a.errorRateMargin())
        .put("p99Margin", a.p99Margin().toString()).put("window", a.window().toString()).put("minRequests", a.minRequests());
    if (c.change() > 0) o.put("change", c.change());
    return o.toString();
  }

  static Canary canary(ByteSequence value) {
    String text = value.toString(StandardCharsets.UTF_8);
    try {
      JsonNode o = JSON.readTree(text);
      List<ConfigObject<?>> objects = ObjectCodec.readJson("<canary>", o.path("objects").toString());
      List<String> nodes = new ArrayList<>();
      o.path("nodes").forEach(n -> nodes.add(n.asText()));
      JsonNode a = o.path("autoAbort");
      return new Canary(o.path("id").asText(), o.path("baseRevision").asLong(), objects, o.path("selector").asText(), nodes,
          o.path("author").asText(), o.path("message").asText(), Instant.parse(o.path("startedAt").asText()),
          new Canary.AutoAbort(a.path("enabled").asBoolean(true), a.path("errorRateMargin").asDouble(),
              Duration.parse(a.path("p99Margin").asText()), Duration.parse(a.path("window").asText()), a.path("minRequests").asInt(1)),
          o.path("change").asLong(0));
    } catch (JsonProcessingException | ConfigException | RuntimeException e) {
      throw new StoreException("the canary record <prefix>/canary is damaged (" + e.getMessage()
          + "); deleting that key (etcdctl del) ends the canary", e);
    }
  }

  static String json(CanaryOutcome c) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", c.id());
    o.put("selector", c.selector());
    ArrayNode nodes = o.putArray("nodes");
    c.nodes().forEach(nodes::add);
    o.put("baseRevision", c.baseRevision());
    o.put("state", c.state());
    o.put("by", c.by());
    o.put("reason", c.reason());
    o.put("revision", c.revision());
    o.put("time", c.time().toString());
    return o.toString();
  }

  static CanaryOutcome outcome(ByteSequence value) {
    try {
      JsonNode o = JSON.readTree(value.toString(StandardCharsets.UTF_8));
      List<String> nodes = new ArrayList<>();
      o.path("nodes").forEach(n -> nodes.add(n.asText()));
      return new CanaryOutcome(o.path("id").asText(), o.path("selector").asText(), nodes, o.path("baseRevision").asLong(),
          o.path("state").asText(), o.path("by").asText(), o.path("reason").asText(), o.path("revision").asLong(),
          Instant.parse(o.path("time").asText()));
    } catch (JsonProcessingException | RuntimeException e) {
      throw new StoreException("a canary history record is damaged: " + e.getMessage(), e);
    }
  }
}
