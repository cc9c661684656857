package io.sluice.store.etcd.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.store.HistoryEntry;
import io.sluice.store.RevisionInfo;
import io.sluice.store.StoreException;
import io.sluice.store.WatchEvent;
import io.sluice.store.internal.ChangePlan;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The values the etcd store writes (see {@link Keys}), as JSON: objects in {@link ObjectCodec}'s
 * form, inside a small envelope that carries their revision (and, for history and revisions, who
 * made it, when and why). A value that cannot be read is a {@link StoreException} naming its key.
 * Stateless and thread-safe.
 */
public final class Records {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Records() {}

  /** {@code P/revisions/<revision>}: a revision whole. */
  public static ByteSequence revision(WatchEvent event, String message) {
    ObjectNode n = envelope(event.revision(), event.time(), event.author(), message);
    ArrayNode items = n.putArray("items");
    for (WatchEvent.Item item : event.items()) {
      ObjectNode i = items.addObject();
      i.put("kind", item.ref().kind().displayName());
      i.put("name", item.ref().name());
      ConfigObject<?> o = item.object();
      i.put("object", o == null ? null : ObjectCodec.toJson(o));
    }
    return write(n);
  }

  /** {@code P/history/<kind>/<name>/<revision>}: one version of an object, null for a deletion. */
  public static ByteSequence version(long revision, Instant time, String author, String message, @Nullable ConfigObject<?> object) {
    ObjectNode n = envelope(revision, time, author, message);
    n.put("object", object == null ? null : ObjectCodec.toJson(object));
    return write(n);
  }

  /** {@code P/objects/<kind>/<name>}: the current version of an object. */
  public static ByteSequence current(ConfigObject<?> object) {
    ObjectNode n = JSON.createObjectNode();
    n.put("revision", object.metadata().revision());
    n.put("object", ObjectCodec.toJson(object));
    return write(n);
  }

  /** Reads a revision record as the watch event it is. */
  public static WatchEvent event(KeyValue kv) {
    JsonNode n = read(kv);
    long revision = n.path("revision").asLong();
    List<WatchEvent.Item> items = new ArrayList<>();
    for (JsonNode i : n.path("items")) {
      ObjectRef ref = new ObjectRef(kind(kv, i.path("kind").asText()), i.path("name").asText());
      items.add(new WatchEvent.Item(ref, object(kv, ref, revision, i.path("object"))));
    }
    return new WatchEvent(revision, Instant.ofEpochMilli(n.path("time").asLong()), n.path("author").asText(), items);
  }

  /** Reads a revision record as what {@link io.sluice.store.ConfigStore#revisions} lists. */
  public static RevisionInfo info(KeyValue kv) {
    JsonNode n = read(kv);
    List<ObjectRef> refs = new ArrayList<>();
    for (JsonNode i : n.path("items")) refs.add(new ObjectRef(kind(kv, i.path("kind").asText()), i.path("name").asText()));
    return new RevisionInfo(n.path("revision").asLong(), Instant.ofEpochMilli(n.path("time").asLong()), n.path("author").asText(),
        n.path("message").asText(), refs);
  }

  /** Reads a history key of {@code ref}. */
  public static HistoryEntry history(KeyValue kv, ObjectRef ref) {
    JsonNode n = read(kv);
    long revision = n.path("revision").asLong();
    return new HistoryEntry(revision, Instant.ofEpochMilli(n.path("time").asLong()), n.path("author").asText(),
        n.path("message").asText(), object(kv, ref, revision, n.path("object")));
  }

  /** Reads an object key. */
  public static ConfigObject<?> current(KeyValue kv, ObjectRef ref) {
    JsonNode n = read(kv);
    ConfigObject<?> o = object(kv, ref, n.path("revision").asLong(), n.path("object"));
    if (o == null) throw damaged(kv, "it holds no object");
    return o;
  }

  /** The kind and name an object or history key names, {@code prefix} being where they start. */
  public static ObjectRef refOf(KeyValue kv, String prefix) {
    String key = kv.getKey().toString(StandardCharsets.UTF_8);
    String[] parts = key.substring(prefix.length()).split("/", -1);
    if (parts.length < 2) throw damaged(kv, "the key names no kind and name");
    return new ObjectRef(kind(kv, parts[0]), parts[1]);
  }

  private static @Nullable ConfigObject<?> object(KeyValue kv, ObjectRef ref, long revision, JsonNode json) {
    if (json.isNull() || json.isMissingNode()) return null;
    String source = ChangePlan.source(ref.kind().displayName(), ref.name(), revision);
    try {
      ConfigObject<?> o = ObjectCodec.readJson(source, json.asText()).getFirst();
      return new ConfigObject<>(o.apiVersion(), o.kind(), o.metadata().withRevision(revision), o.spec(), source);
    } catch (ConfigException e) {
      throw damaged(kv, "it holds " + source + ", which cannot be read: " + e.getMessage());
    }
  }

  private static Kind kind(KeyValue kv, String name) {
    Kind k = Kind.fromName(name);
    if (k == null) throw damaged(kv, "it names an unknown kind '" + name + "'");
    return k;
  }

  private static ObjectNode envelope(long revision, Instant time, String author, String message) {
    ObjectNode n = JSON.createObjectNode();
    n.put("revision", revision);
    n.put("time", time.toEpochMilli());
    n.put("author", author);
    n.put("message", message);
    return n;
  }

  private static ByteSequence write(ObjectNode n) {
    try {
      return ByteSequence.from(JSON.writeValueAsBytes(n));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON tree", e);
    }
  }

  private static JsonNode read(KeyValue kv) {
    try {
      return JSON.readTree(kv.getValue().getBytes());
    } catch (java.io.IOException e) {
      throw damaged(kv, "it is not JSON: " + e.getMessage());
    }
  }

  private static StoreException damaged(KeyValue kv, String why) {
    return new StoreException("the etcd key " + kv.getKey().toString(StandardCharsets.UTF_8) + " cannot be read: " + why);
  }
}
