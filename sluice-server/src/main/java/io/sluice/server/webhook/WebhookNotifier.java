package io.sluice.server.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.admin.AdminEvents;
import io.sluice.admin.WebhookDelivery;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.secret.SecretSpec;
import io.sluice.api.webhook.WebhookSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the control plane's events to the configured Webhooks (README "Webhooks"): each event, for
 * each Webhook that wants it, is one signed POST ({@link Signature}), tried again with doubling
 * backoff on no answer or a status other than 2xx, and kept as a dead letter after the last try.
 *
 * <p>Threading: {@link #emit} may be called from any thread and returns at once; the work runs on one
 * scheduler thread of its own at the lowest priority, the HTTP calls asynchronously on the JDK
 * client. Nothing here runs on an event loop or holds up a request.
 */
public final class WebhookNotifier implements AdminEvents, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Deliveries kept for {@link #deliveries}, newest last; older ones are dropped. */
  private static final int KEPT = 1000;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final Function<ObjectRef, @Nullable ConfigObject<?>> objects;
  private final java.util.function.Supplier<Collection<ConfigObject<?>>> webhooks;
  private final String node;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  /**
   * Built at the first delivery, on the scheduler thread (the only one that sends): a JDK HttpClient
   * starts its selector thread and loads the TLS stack and the trusted certificates when built,
   * about 300 classes and their memory in every server, most of which never send a webhook.
   */
  private volatile @Nullable HttpClient http;
  /** Guarded by itself. */
  private final Deque<Attempted> kept = new ArrayDeque<>();
  /** Where the dead letters outlive a restart; null: kept in memory only. */
  private final @Nullable DeadLetterFile deadLetters;

  /** A delivery as it goes; its fields change on the scheduler thread, read under {@link #kept}'s lock. */
  private static final class Attempted {
    final String id;
    final String webhook;
    final String event;
    final Instant time;
    final String payload;
    String state = "pending";
    int attempts;
    int lastStatus;
    @Nullable String lastError;
    /** A dead letter sent again: it stays in the dead-letter file until delivered. */
    boolean redelivered;

    Attempted(String id, String webhook, String event, Instant time, String payload) {
      this.id = id;
      this.webhook = webhook;
      this.event = event;
      this.time = time;
      this.payload = payload;
    }
  }

  /**
   * @param objects the configuration's object by reference, as stored now (the Webhooks and their Secrets)
   * @param webhooks the Webhook objects now
   * @param node this node's id, sent in every event
   * @param dataDir where the dead letters are kept across restarts ({@link DeadLetterFile}); null: in memory only
   */
  public WebhookNotifier(Function<ObjectRef, @Nullable ConfigObject<?>> objects,
      java.util.function.Supplier<Collection<ConfigObject<?>>> webhooks, String node, Clock clock, @Nullable Path dataDir) {
    this.objects = Objects.requireNonNull(objects, "objects");
    this.webhooks = Objects.requireNonNull(webhooks, "webhooks");
    this.node = Objects.requireNonNull(node, "node");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("sluice-webhooks").factory());
    this.deadLetters = dataDir == null ? null : new DeadLetterFile(dataDir);
    if (deadLetters != null) {
      try {
        for (WebhookDelivery d : deadLetters.load()) {
          Attempted a = new Attempted(d.id(), d.webhook(), d.event(), d.time(), d.payload());
          a.state = "failed";
          a.attempts = d.attempts();
          a.lastStatus = d.lastStatus();
          a.lastError = d.lastError();
          kept.addLast(a);
        }
      } catch (IOException e) {
        // The notifier must not keep the server from starting; the next dead letter rewrites the file.
        LOG.warn("webhook dead letters not loaded: {}", e.getMessage());
      }
    }
  }

  /** The client, built on first use; on the scheduler thread only. */
  private HttpClient http() {
    HttpClient h = http;
    if (h == null) {
      h = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
          .followRedirects(HttpClient.Redirect.NEVER).executor(scheduler).build();
      http = h;
      // close() may have run between the scheduler starting this task and the field being set.
      if (scheduler.isShutdown()) h.shutdownNow();
    }
    return h;
  }

  /** The scheduler the notifier's work runs on, for the watchers that feed it ({@link FleetWatcher}). */
  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  @Override
  public void emit(String type, Map<String, Object> data) {
    Instant time = clock.instant();
    try {
      scheduler.execute(() -> send(type, data, time));
    } catch (RejectedExecutionException e) {
      // Closing: events after that are not sent.
    }
  }

  private void send(String type, Map<String, Object> data, Instant time) {
    String eventId = UUID.randomUUID().toString();
    for (ConfigObject<?> o : webhooks.get()) {
      WebhookSpec w = (WebhookSpec) o.spec();
      if (!w.wants(type)) continue;
      String payload = payload(w, eventId, type, data, time);
      Attempted a = new Attempted(eventId + "/" + o.name(), o.name(), type, time, payload);
      boolean droppedDead;
      synchronized (kept) {
        kept.addLast(a);
        droppedDead = kept.size() > KEPT && isDead(kept.removeFirst());
      }
      if (droppedDead) saveDeadLetters();
      attempt(a);
    }
  }

  private String payload(WebhookSpec w, String id, String type, Map<String, Object> data, Instant time) {
    if (w.format().equals(WebhookSpec.SLACK)) {
      ObjectNode n = JSON.createObjectNode();
      n.put("text", slackText(type, data));
      return n.toString();
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("id", id);
    n.put("type", type);
    n.put("time", time.toString());
    n.put("node", node);
    n.set("data", JSON.valueToTree(data));
    return n.toString();
  }

  /** One line for a chat channel: {@code [sluice] change.approved: change 3 "add echo" by bob}. */
  static String slackText(String type, Map<String, Object> data) {
    StringBuilder sb = new StringBuilder("[sluice] ").append(type).append(':');
    Object id = data.get("id");
    if (id != null && type.startsWith("change.")) sb.append(" change ").append(id).append(" \"").append(data.get("title")).append('"');
    for (String key : List.of("revision", "object", "upstream", "endpoint", "canary", "node", "message", "by", "comment")) {
      Object v = data.get(key);
      if (v != null && !String.valueOf(v).isEmpty()) sb.append(' ').append(key).append('=').append(v);
    }
    return sb.toString();
  }

  /** One try of {@code a}, on the scheduler thread; schedules the next on failure. */
  private void attempt(Attempted a) {
    try {
      tryOnce(a);
    } catch (RuntimeException e) {
      // A bug must not leave the delivery pending for ever, nor end the scheduler's thread.
      LOG.warn("webhook {}: sending {} failed", a.webhook, a.event, e);
      finish(a, "failed", 0, String.valueOf(e));
    }
  }

  private void tryOnce(Attempted a) {
    ConfigObject<?> hook = objects.apply(new ObjectRef(Kind.WEBHOOK, a.webhook));
    if (!(hook != null && hook.spec() instanceof WebhookSpec w)) {
      finish(a, "failed", 0, "the Webhook was deleted before the event was delivered");
      return;
    }
    String secret = secret(w);
    if (secret == null) {
      finish(a, "failed", 0, "Secret '" + w.secret() + "' has no spec.value");
      return;
    }
    long t = clock.instant().getEpochSecond();
    HttpRequest request = HttpRequest.newBuilder(URI.create(Objects.requireNonNull(w.url())))
        .timeout(REQUEST_TIMEOUT)
        .header("Content-Type", "application/json")
        .header("User-Agent", "sluice-webhooks")
        .header("X-Sluice-Event", a.event)
        .header("X-Sluice-Delivery", a.id)
        .header("X-Sluice-Signature", Signature.header(secret, t, a.payload))
        .POST(HttpRequest.BodyPublishers.ofString(a.payload))
        .build();
    synchronized (kept) {
      a.attempts++;
    }
    http().sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
      if (e == null && r.statusCode() / 100 == 2) {
        finish(a, "delivered", r.statusCode(), null);
        return;
      }
      int status = e == null ? r.statusCode() : 0;
      String why = e == null ? "answered " + r.statusCode() : String.valueOf(e.getCause() != null ? e.getCause() : e);
      int attempts;
      synchronized (kept) {
        a.lastStatus = status;
        a.lastError = why;
        attempts = a.attempts;
      }
      if (attempts > w.retries()) {
        LOG.warn("webhook {}: {} not delivered after {} attempt(s), kept as a dead letter: {}", a.webhook, a.event, attempts, why);
        finish(a, "failed", status, why);
        return;
      }
      long delay = w.retryBackoff().toMillis() << Math.min(attempts - 1, 20);
      try {
        scheduler.schedule(() -> attempt(a), delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closing) {
        finish(a, "failed", status, why + " (the server stopped before the next attempt)");
      }
    });
  }

  private @Nullable String secret(WebhookSpec w) {
    String name = w.secret();
    ConfigObject<?> s = name == null ? null : objects.apply(new ObjectRef(Kind.SECRET, name));
    return s != null && s.spec() instanceof SecretSpec spec ? spec.value() : null;
  }

  private void finish(Attempted a, String state, int status, @Nullable String error) {
    boolean save;
    synchronized (kept) {
      a.state = state;
      a.lastStatus = status;
      a.lastError = error;
      save = state.equals("failed") || a.redelivered;
      if (!state.equals("failed")) a.redelivered = false;
    }
    if (save) saveDeadLetters();
  }

  /** A dead letter, or one being sent again (it stays one in the file until delivered). Under {@link #kept}'s lock. */
  private static boolean isDead(Attempted a) {
    return a.state.equals("failed") || a.redelivered;
  }

  /** Writes the dead letters kept now to the file (on the scheduler thread, or on the caller's when closing). */
  private void saveDeadLetters() {
    DeadLetterFile file = deadLetters;
    if (file == null) return;
    List<WebhookDelivery> dead = new ArrayList<>();
    synchronized (kept) {
      for (Attempted a : kept) {
        if (isDead(a)) dead.add(new WebhookDelivery(a.id, a.webhook, a.event, "failed", a.attempts, a.lastStatus, a.lastError, a.time, a.payload));
      }
    }
    try {
      file.save(dead);
    } catch (java.io.UncheckedIOException e) {
      LOG.warn("{}", e.getMessage(), e.getCause());
    }
  }

  /**
   * Sends the dead letter {@code id} again, as it was (its payload, a new signature, the Webhook's
   * URL and retries as they are now); null when no dead letter has that id. Delivered, it is a dead
   * letter no more; failed again, it stays one. Any thread.
   */
  public @Nullable WebhookDelivery redeliver(String id) {
    Objects.requireNonNull(id, "id");
    Attempted found = null;
    WebhookDelivery now;
    synchronized (kept) {
      for (Attempted a : kept) {
        if (a.id.equals(id) && a.state.equals("failed")) found = a;
      }
      if (found == null) return null;
      found.state = "pending";
      found.attempts = 0;
      found.lastStatus = 0;
      found.lastError = null;
      found.redelivered = true;
      now = new WebhookDelivery(found.id, found.webhook, found.event, found.state, 0, 0, null, found.time, found.payload);
    }
    Attempted a = found;
    try {
      scheduler.execute(() -> attempt(a));
    } catch (RejectedExecutionException closing) {
      finish(a, "failed", 0, "the server is stopping");
    }
    return now;
  }

  /** The deliveries kept, oldest first; only the dead letters when {@code failedOnly}. */
  public List<WebhookDelivery> deliveries(boolean failedOnly) {
    List<WebhookDelivery> out = new ArrayList<>();
    synchronized (kept) {
      for (Attempted a : kept) {
        if (failedOnly && !a.state.equals("failed")) continue;
        out.add(new WebhookDelivery(a.id, a.webhook, a.event, a.state, a.attempts, a.lastStatus, a.lastError, a.time, a.payload));
      }
    }
    return out;
  }

  /** Stops sending: pending retries are dropped. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    HttpClient h = http;
    if (h != null) h.shutdownNow();
  }
}
