package io.sluice.admin;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One event sent (or being sent) to one webhook, as {@code GET /api/v1/webhooks/deliveries} lists it.
 *
 * @param id the delivery's id, also sent as {@code X-Sluice-Delivery}
 * @param webhook the Webhook object's name
 * @param event the event type, such as {@code change.published}
 * @param state {@code pending} (being tried), {@code delivered} (answered 2xx) or {@code failed} (every
 *     attempt failed: a dead letter, kept until newer deliveries push it out)
 * @param attempts how often it was sent
 * @param lastStatus the HTTP status of the last attempt; 0 when it got no answer
 * @param lastError why the last attempt failed; null when it did not
 * @param time when the event happened
 * @param payload the body sent
 */
public record WebhookDelivery(String id, String webhook, String event, String state, int attempts, int lastStatus,
    @Nullable String lastError, Instant time, String payload) {
  public WebhookDelivery {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(webhook, "webhook");
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(payload, "payload");
  }
}
