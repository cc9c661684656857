package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code sluice status}'s lines about a shared store: reachability, the local cache in use, the fleet's leader. */
final class StoreStateLines {
  private StoreStateLines() {}

  /** Prints nothing when the node does not report a store state (the embedded store). */
  static void print(JsonNode store) {
    if (!store.isObject()) return;
    JsonNode cache = store.path("servingFromCache");
    if (cache.isObject()) {
      System.out.println("config source:    serving from the local cache of revision " + cache.path("revision").asLong()
          + " written at " + cache.path("writtenAt").asText() + ", since " + cache.path("since").asText());
    }
    if (store.path("reachable").asBoolean()) {
      System.out.println("store:            reachable");
    } else {
      System.out.println("store:            unreachable since " + store.path("unreachableSince").asText("?") + ": "
          + store.path("unreachableReason").asText("?"));
    }
    JsonNode leader = store.path("leader");
    if (leader.isTextual()) System.out.println("leader:           " + leader.asText());
  }
}
