package io.sluice.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/** {@code sluice get deliveries [--failed]}: the recent webhook deliveries, or the dead letters. */
final class Deliveries {
  private Deliveries() {}

  static boolean named(String kind) {
    String k = kind.strip().toLowerCase(java.util.Locale.ROOT);
    return k.equals("deliveries") || k.equals("delivery");
  }

  static int print(AdminClient client, boolean failedOnly, boolean json) {
    JsonNode list = client.get("/api/v1/webhooks/deliveries" + (failedOnly ? "?failed=true" : ""));
    if (json) {
      try {
        System.out.println(JsonText.pretty(list));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a JSON tree that does not write", e);
      }
      return 0;
    }
    Table t = new Table("TIME", "WEBHOOK", "EVENT", "STATE", "ATTEMPTS", "LAST");
    for (JsonNode d : list.path("items")) {
      String last = d.path("lastError").isNull() || d.path("lastError").isMissingNode()
          ? (d.path("lastStatus").asInt() == 0 ? "" : Integer.toString(d.path("lastStatus").asInt()))
          : d.path("lastError").asText();
      t.row(d.path("time").asText(), d.path("webhook").asText(), d.path("event").asText(), d.path("state").asText(),
          d.path("attempts").asInt(), last);
    }
    if (t.size() == 0) {
      System.out.println(failedOnly ? "no failed deliveries" : "no deliveries");
    } else {
      t.lines("").forEach(System.out::println);
    }
    return 0;
  }
}
