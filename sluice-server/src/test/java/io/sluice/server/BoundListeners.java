package io.sluice.server;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.Callable;

/**
 * The ports a node's listeners are bound to, as the admin API's {@code GET /api/v1/status} reports
 * them ({@code listeners: [{name, address}]}): how a test finds a listener configured on port 0
 * that was applied through the admin API or the store rather than at start.
 */
final class BoundListeners {
  private BoundListeners() {}

  /** The bound port of {@code listener} in {@code status}; fails naming the listeners there when it is not bound. */
  static int port(JsonNode status, String listener) {
    for (JsonNode l : status.path("listeners")) {
      if (l.path("name").asText().equals(listener)) {
        String address = l.path("address").asText();
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      }
    }
    throw new AssertionError("listener " + listener + " is not bound; status lists " + status.path("listeners"));
  }

  /** Waits (at most 20 s) until {@code status} lists {@code listener} as bound, and returns its port. */
  static int awaitPort(Callable<JsonNode> status, String listener) {
    AtomicInteger port = new AtomicInteger();
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> port.set(port(status.call(), listener)));
    return port.get();
  }
}
