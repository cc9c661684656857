package io.sluice.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A server that sends no webhook pays nothing for them: the notifier's HTTP client (a selector
 * thread, the TLS stack and the trusted certificates) is built at the first delivery, not with
 * the notifier (docs/benchmarks.md, "Footprint").
 */
class WebhookNotifierFootprintTest {
  @Test
  void startsNoHttpClientUntilAWebhookIsDelivered() throws Exception {
    long before = httpClientSelectorThreads();
    try (WebhookNotifier notifier = new WebhookNotifier(ref -> null, List::of, "node-1", Clock.systemUTC(), null)) {
      // An event with no Webhook configured: nothing to deliver.
      notifier.emit("config.applied", Map.of("revision", 1));
      notifier.scheduler().submit(() -> { }).get();

      assertThat(httpClientSelectorThreads()).isEqualTo(before);
    }
  }

  /** The JDK's HttpClient starts one "HttpClient-N-SelectorManager" thread per client. */
  private static long httpClientSelectorThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager"))
        .count();
  }
}
