package io.sluice.api.webhook;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where the control plane sends its events (README "Webhooks"): a signed JSON POST per event.
 *
 * <pre>{@code
 * spec:
 *   url: https://hooks.example.com/sluice
 *   secret: hooks-key          # a Secret with spec.value: the HMAC-SHA256 key of X-Sluice-Signature
 *   events: [change.*, breaker.open]
 *   format: json               # or slack: {"text": "..."}
 *   retries: 3
 *   retryBackoff: 1s
 * }</pre>
 *
 * @param url where events are POSTed: an absolute http:// or https:// URL
 * @param secret the name of the Secret whose {@code spec.value} signs each delivery (header
 *     {@code X-Sluice-Signature: t=UNIX,v1=HEX}, docs/security.md "Webhook signatures")
 * @param events the event types sent: names such as {@code change.published}, or a prefix and
 *     {@code *} such as {@code change.*}; empty (the default) sends every event
 * @param format {@code json} (the event as JSON, the default) or {@code slack} ({@code {"text": ...}}
 *     for a Slack incoming webhook)
 * @param retries how often a failed delivery (no answer, or a status other than 2xx) is tried again, 0
 *     to 10 (default 3); after the last, it is kept as a dead letter
 * @param retryBackoff the wait before the first retry, doubled for each next one (default 1s)
 */
public record WebhookSpec(@Nullable String url, @Nullable String secret, List<String> events, String format, Integer retries,
    Duration retryBackoff) implements Spec {
  /** Every event type a webhook may ask for. */
  public static final List<String> EVENTS = List.of("change.proposed", "change.approved", "change.rejected", "change.published",
      "revision.applied", "revision.failed", "rollback", "canary.started", "canary.promoted", "canary.aborted",
      "breaker.open", "breaker.close");
  public static final String JSON = "json";
  public static final String SLACK = "slack";

  // Null components (left out of the object) take their defaults here.
  public WebhookSpec {
    events = events == null ? List.of() : List.copyOf(events);
    format = format == null ? JSON : format;
    retries = retries == null ? 3 : retries;
    retryBackoff = retryBackoff == null ? Duration.ofSeconds(1) : retryBackoff;
  }

  /** Whether events of {@code type} go to this webhook. */
  public boolean wants(String type) {
    if (events.isEmpty()) return true;
    for (String e : events) {
      if (e.equals(type) || e.equals("*") || (e.endsWith(".*") && type.startsWith(e.substring(0, e.length() - 1)))) return true;
    }
    return false;
  }

  @Override
  public List<ObjectRef> references() {
    return secret == null ? List.of() : List.of(new ObjectRef(Kind.SECRET, secret));
  }
}
