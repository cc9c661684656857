package io.sluice.store.changes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.store.Change;
import io.sluice.store.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link ChangeRequest} as the stores keep it: one JSON document, its objects as
 * {@link ObjectCodec} writes them. The id and version are kept outside it (the SQLite row, the etcd
 * key and its version) and given back when it is read. Stateless.
 */
public final class ChangeRequestJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ChangeRequestJson() {}

  /** {@code c} as stored. */
  public static String write(ChangeRequest c) {
    ObjectNode o = JSON.createObjectNode();
    o.put("title", c.title());
    o.put("description", c.description());
    o.put("author", c.author());
    o.put("created", c.created().toString());
    o.put("state", c.state().name());
    o.put("baseRevision", c.baseRevision());
    ArrayNode changes = o.putArray("changes");
    for (Change change : c.changes()) {
      switch (change) {
        case Change.Put p -> {
          try {
            changes.addObject().set("put", JSON.readTree(ObjectCodec.toJson(p.object())));
          } catch (JsonProcessingException e) {
            throw new IllegalStateException("the object codec wrote JSON that does not parse", e);
          }
        }
        case Change.Delete d -> changes.addObject().putObject("delete")
            .put("kind", d.ref().kind().displayName()).put("name", d.ref().name());
      }
    }
    ArrayNode reviews = o.putArray("reviews");
    for (ChangeRequest.Review r : c.reviews()) {
      reviews.addObject().put("reviewer", r.reviewer()).put("verdict", r.verdict().name()).put("comment", r.comment())
          .put("time", r.time().toString());
    }
    o.put("publishedRevision", c.publishedRevision());
    o.put("publishedBy", c.publishedBy());
    if (!c.canary().isEmpty()) o.put("canary", c.canary());
    if (!c.canaryAbort().isEmpty()) o.put("canaryAbort", c.canaryAbort());
    return o.toString();
  }

  /**
   * The change request stored as {@code text} under {@code id} at {@code version}.
   *
   * @throws StoreException when the record does not read back (it was damaged outside Sluice)
   */
  public static ChangeRequest read(long id, long version, String text) {
    try {
      JsonNode o = JSON.readTree(text);
      List<Change> changes = new ArrayList<>();
      for (JsonNode c : o.path("changes")) {
        if (c.has("put")) {
          List<ConfigObject<?>> objects = ObjectCodec.readJson("change " + id, c.get("put").toString());
          changes.add(Change.put(objects.getFirst()));
        } else {
          JsonNode d = c.path("delete");
          Kind kind = Kind.fromName(d.path("kind").asText());
          if (kind == null) throw new IllegalArgumentException("unknown kind '" + d.path("kind").asText() + "'");
          changes.add(Change.delete(new ObjectRef(kind, d.path("name").asText())));
        }
      }
      List<ChangeRequest.Review> reviews = new ArrayList<>();
      for (JsonNode r : o.path("reviews")) {
        reviews.add(new ChangeRequest.Review(r.path("reviewer").asText(), ChangeRequest.Verdict.valueOf(r.path("verdict").asText()),
            r.path("comment").asText(), Instant.parse(r.path("time").asText())));
      }
      return new ChangeRequest(id, version, o.path("title").asText(), o.path("description").asText(), o.path("author").asText(),
          Instant.parse(o.path("created").asText()), ChangeRequest.State.valueOf(o.path("state").asText()),
          o.path("baseRevision").asLong(), changes, reviews, o.path("publishedRevision").asLong(), o.path("publishedBy").asText(),
          o.path("canary").asText(""), o.path("canaryAbort").asText(""));
    } catch (JsonProcessingException | ConfigException | RuntimeException e) {
      throw new StoreException("change request " + id + " is damaged in the store: " + e.getMessage(), e);
    }
  }
}
