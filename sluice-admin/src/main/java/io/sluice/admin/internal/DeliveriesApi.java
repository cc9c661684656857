package io.sluice.admin.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.admin.AdminToken.Role;
import io.sluice.admin.WebhookDelivery;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /api/v1/webhooks/deliveries[?failed=true]}: the node's recent webhook deliveries, or its
 * dead letters; {@code POST /api/v1/webhooks/deliveries/redeliver} sends a dead letter again.
 */
final class DeliveriesApi {
  static final String PATH = "/api/v1/webhooks/deliveries";
  static final String REDELIVER = PATH + "/redeliver";

  private DeliveriesApi() {}

  static RouteTable.Route route(Function<Boolean, List<WebhookDelivery>> deliveries) {
    return new RouteTable.Route(HttpMethod.GET, PATH, Set.of("failed", "output"), q -> Role.VIEWER, r -> {
      ObjectNode n = Wire.object();
      ArrayNode items = n.putArray("items");
      for (WebhookDelivery d : deliveries.apply(r.booleanParameter("failed"))) items.add(tree(d));
      return Wire.render(r, HttpResponseStatus.OK, n);
    });
  }

  /**
   * {@code POST .../redeliver} with {@code {"id": DELIVERY}}: the dead letter sent again, answered with
   * the delivery as it is now (pending); 404 when this node keeps no dead letter with that id (it was
   * delivered, pushed out by newer deliveries, or was never one). Editors: it sends a signed request
   * to a configured URL, as the event did, and changes no configuration.
   */
  static RouteTable.Route redeliverRoute(Function<String, @Nullable WebhookDelivery> redeliver) {
    return new RouteTable.Route(HttpMethod.POST, REDELIVER, Set.of("output"), q -> Role.EDITOR, r -> {
      String expected = "expected {\"id\": DELIVERY} with the id GET " + PATH + "?failed=true lists";
      if (r.bodyText().isBlank()) throw ApiError.badRequest("the request body is empty; " + expected);
      JsonNode body = Wire.parse(r.bodyText(), Wire.bodyIsYaml(r));
      if (!body.isObject() || !body.path("id").isTextual() || body.size() != 1) {
        throw ApiError.badRequest("the request body must be " + expected + ", got " + body);
      }
      String id = body.path("id").asText();
      WebhookDelivery d = redeliver.apply(id);
      if (d == null) throw ApiError.notFound("no dead letter '" + id + "' on this node: GET " + PATH + "?failed=true lists them");
      return Wire.render(r, HttpResponseStatus.OK, tree(d));
    });
  }

  private static ObjectNode tree(WebhookDelivery d) {
    ObjectNode n = Wire.object();
    n.put("id", d.id()).put("webhook", d.webhook()).put("event", d.event()).put("state", d.state())
        .put("attempts", d.attempts()).put("lastStatus", d.lastStatus()).put("lastError", d.lastError())
        .put("time", d.time().toString()).put("payload", d.payload());
    return n;
  }
}
