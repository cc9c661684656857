package io.sluice.server.webhook;

import io.sluice.admin.AdminEvents;
import io.sluice.admin.NodeStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what this node does into events by looking at it once a {@code period}, on the notifier's
 * thread: the revision it applied ({@code revision.applied}) or failed to ({@code revision.failed}),
 * and its circuit breakers' states as {@code /metrics} shows them ({@code breaker.open},
 * {@code breaker.close}). Looking rather than being called keeps the data plane free of it: a
 * breaker's transition happens on an event loop, which must not wait for anything, and the gauge
 * already reads the breakers' atomics. A transition that is undone within one period is not seen.
 */
public final class NodeEventWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeEventWatcher.class);
  private static final Pattern BREAKER = Pattern.compile(
      "^sluice_upstream_breaker_state\\{upstream=\"([^\"]*)\",endpoint=\"([^\"]*)\",state=\"([a-z_]+)\"} 1(?:\\.0)?$", Pattern.MULTILINE);

  private final AdminEvents events;
  private final String node;
  private final LongSupplier appliedRevision;
  private final Supplier<NodeStatus.@Nullable ApplyError> lastFailure;
  private final Supplier<String> metrics;
  private final ScheduledFuture<?> task;
  private long revision;
  private NodeStatus.@Nullable ApplyError failure;
  /** upstream + " " + endpoint → state; null until the first look. */
  private @Nullable Map<String, String> breakers;

  /**
   * Starts looking every {@code period} on {@code scheduler}.
   *
   * @param metrics the Prometheus text of this node's {@code /metrics}
   */
  public NodeEventWatcher(AdminEvents events, String node, LongSupplier appliedRevision,
      Supplier<NodeStatus.@Nullable ApplyError> lastFailure, Supplier<String> metrics, ScheduledExecutorService scheduler,
      Duration period) {
    this.events = Objects.requireNonNull(events, "events");
    this.node = Objects.requireNonNull(node, "node");
    this.appliedRevision = appliedRevision;
    this.lastFailure = lastFailure;
    this.metrics = metrics;
    this.revision = appliedRevision.getAsLong();
    this.failure = lastFailure.get();
    this.task = scheduler.scheduleWithFixedDelay(this::look, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The notifier's scheduler with this node's notifier as the events' sink. */
  public static NodeEventWatcher start(WebhookNotifier notifier, String node, LongSupplier appliedRevision,
      Supplier<NodeStatus.@Nullable ApplyError> lastFailure, Supplier<String> metrics, Duration period) {
    return new NodeEventWatcher(notifier, node, appliedRevision, lastFailure, metrics, notifier.scheduler(), period);
  }

  private void look() {
    try {
      long now = appliedRevision.getAsLong();
      if (now != revision) {
        revision = now;
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("revision", now);
        data.put("node", node);
        events.emit("revision.applied", data);
      }
      NodeStatus.ApplyError f = lastFailure.get();
      if (f != null && !f.equals(failure)) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("revision", f.revision());
        data.put("message", f.message());
        data.put("node", node);
        events.emit("revision.failed", data);
      }
      failure = f;
      breakers();
    } catch (RuntimeException e) {
      LOG.warn("looking for events failed; trying again", e);
    }
  }

  private void breakers() {
    Map<String, String> now = new HashMap<>();
    Matcher m = BREAKER.matcher(metrics.get());
    while (m.find()) now.put(m.group(1) + " " + m.group(2), m.group(3));
    Map<String, String> before = breakers;
    breakers = now;
    if (before == null) return;
    for (Map.Entry<String, String> e : now.entrySet()) {
      String was = before.getOrDefault(e.getKey(), "closed");
      String is = e.getValue();
      String type = is.equals("open") && !was.equals("open") ? "breaker.open"
          : is.equals("closed") && !was.equals("closed") ? "breaker.close" : null;
      if (type == null) continue;
      int space = e.getKey().indexOf(' ');
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("upstream", e.getKey().substring(0, space));
      data.put("endpoint", e.getKey().substring(space + 1));
      data.put("node", node);
      events.emit(type, data);
    }
  }

  @Override
  public void close() {
    task.cancel(false);
  }
}
