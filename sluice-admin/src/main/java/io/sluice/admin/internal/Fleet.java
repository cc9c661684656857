package io.sluice.admin.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.admin.AdminToken.Role;
import io.sluice.store.Canary;
import io.sluice.store.ConfigStore;
import io.sluice.store.NodeRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The fleet in the admin API: {@code GET /api/v1/nodes} (every registered node, its applied
 * revision and lag behind the store, whether the fleet has converged), and the refusal of writes on
 * a node that takes none (a data-plane node). Stateless apart from what it is given.
 */
final class Fleet {
  /** The reason code of a write refused because this node takes no writes. */
  static final String READ_ONLY_NODE = "read_only_node";

  private final ConfigStore store;
  private final Supplier<List<NodeRecord>> nodes;
  private final Supplier<@Nullable Canary> canary;
  private final Clock clock;

  /** @param canary the fleet's running config canary, or null when none runs (or there is no fleet) */
  Fleet(ConfigStore store, Supplier<List<NodeRecord>> nodes, Supplier<@Nullable Canary> canary, Clock clock) {
    this.store = store;
    this.nodes = nodes;
    this.canary = canary;
    this.clock = clock;
  }

  /**
   * The nodes with their lag ({@code storeRevision - appliedRevision}); {@code converged} is true when
   * every node serves the store's revision, so a change applied through any node is in force everywhere.
   * While a config canary runs, {@code canary} describes it (id, base revision, selector, nodes, since
   * when) and each of its nodes has {@code canary}: the canary it is meant to serve on top of the base
   * revision and whether its record says it does ({@code serving}); the other nodes have null there,
   * meant to serve the store's revision. {@code servedCanary} is what each node's record says it
   * serves, which trails the canary's start and end by up to a second.
   */
  ApiResponse nodes(ApiRequest r) {
    // The nodes first: a node that applied a revision this node's copy has not seen yet has no negative lag.
    List<NodeRecord> all = nodes.get();
    long revision = store.revision();
    Canary running = canary.get();
    ObjectNode n = Wire.object();
    n.put("storeRevision", revision);
    if (running == null) {
      n.putNull("canary");
    } else {
      ObjectNode c = n.putObject("canary");
      c.put("id", running.id());
      c.put("baseRevision", running.baseRevision());
      c.put("selector", running.selector());
      running.nodes().forEach(c.putArray("nodes")::add);
      c.put("author", running.author());
      c.put("startedAt", running.startedAt().toString());
    }
    boolean converged = !all.isEmpty();
    ArrayNode items = n.putArray("items");
    for (NodeRecord node : all) {
      long lag = Math.max(0, revision - node.appliedRevision());
      if (lag > 0) converged = false;
      ObjectNode i = items.addObject();
      i.put("id", node.id());
      i.put("address", node.address());
      i.put("role", node.role());
      i.put("version", node.version());
      ObjectNode labels = i.putObject("labels");
      node.labels().forEach(labels::put);
      i.put("appliedRevision", node.appliedRevision());
      i.put("lag", lag);
      NodeRecord.ApplyError e = node.lastApplyError();
      if (e == null) {
        i.putNull("lastApplyError");
      } else {
        i.putObject("lastApplyError").put("revision", e.revision()).put("message", e.message()).put("time", e.time().toString());
      }
      i.put("startedAt", node.startedAt().toString());
      i.put("uptimeSeconds", Math.max(0, Duration.between(node.startedAt(), clock.instant()).toSeconds()));
      if (running != null && running.selects(node.id())) {
        i.putObject("canary").put("id", running.id()).put("baseRevision", running.baseRevision())
            .put("serving", running.id().equals(node.canary()));
      } else {
        i.putNull("canary");
      }
      i.put("servedCanary", node.canary());
    }
    n.put("converged", converged);
    return Wire.render(r, HttpResponseStatus.OK, n);
  }

  /**
   * {@code table} with every request that would write (a route's role for its query is more than the viewer's: config writes, reviews)
   * refused with 403 and {@code why}, after authentication and the role check, so a caller learns
   * the node is the wrong one only when it may write at all.
   */
  static RouteTable refusingWrites(RouteTable table, Supplier<String> why) {
    RouteTable.Builder b = RouteTable.builder();
    for (RouteTable.Route route : table.routes()) {
      RouteTable.Handler h = route.handler();
      b.add(new RouteTable.Route(route.method(), route.template(), route.queryParameters(), route.role(), request -> {
        if (route.role().apply(request.query()) != Role.VIEWER) throw ApiError.refused(READ_ONLY_NODE, why.get());
        return h.handle(request);
      }));
    }
    return b.build();
  }
}
