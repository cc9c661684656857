package io.sluice.admin.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.admin.AdminToken.Role;
import io.sluice.admin.WebhookDelivery;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** {@code GET /api/v1/webhooks/deliveries[?failed=true]}: the node's recent webhook deliveries, or its dead letters. */
final class DeliveriesApi {
  private DeliveriesApi() {}

  static RouteTable.Route route(Function<Boolean, List<WebhookDelivery>> deliveries) {
    return new RouteTable.Route(HttpMethod.GET, "/api/v1/webhooks/deliveries", Set.of("failed", "output"), q -> Role.VIEWER, r -> {
      ObjectNode n = Wire.object();
      ArrayNode items = n.putArray("items");
      for (WebhookDelivery d : deliveries.apply(r.booleanParameter("failed"))) {
        items.addObject().put("id", d.id()).put("webhook", d.webhook()).put("event", d.event()).put("state", d.state())
            .put("attempts", d.attempts()).put("lastStatus", d.lastStatus()).put("lastError", d.lastError())
            .put("time", d.time().toString()).put("payload", d.payload());
      }
      return Wire.render(r, HttpResponseStatus.OK, n);
    });
  }
}
