package io.sluice.server;

import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.server.webhook.NodeEventWatcher;
import io.sluice.server.webhook.WebhookNotifier;
import io.sluice.store.ConfigStore;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;

/** How {@code serve} sets up webhook notifications (README "Webhooks") from its store and its data plane. */
final class Webhooks {
  /** How often the node's own events (applied revisions, breakers) are looked for. */
  private static final Duration WATCH_PERIOD = Duration.ofSeconds(1);

  private Webhooks() {}

  /** A notifier that sends to the Webhook objects {@code store} holds at each event, its dead letters kept in {@code dataDir}. */
  static WebhookNotifier notifier(ConfigStore store, String node, java.nio.file.Path dataDir) {
    return new WebhookNotifier(store::get,
        () -> store.snapshot().objects().stream().filter(o -> o.kind() == Kind.WEBHOOK).<ConfigObject<?>>map(o -> o).toList(),
        node, Clock.systemUTC(), dataDir);
  }

  /** Watches what {@code sync} applies and {@code metrics} shows of the breakers, and tells {@code notifier}. */
  static NodeEventWatcher watch(WebhookNotifier notifier, String node, StoreFollower sync, Supplier<String> metrics) {
    return NodeEventWatcher.start(notifier, node, sync::appliedRevision, sync::lastFailure, metrics, WATCH_PERIOD);
  }
}
