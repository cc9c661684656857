package io.sluice.server.canary;

import io.sluice.admin.CanaryControl;
import io.sluice.store.Canary;
import io.sluice.store.NodeRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Compares a running canary's nodes with the rest of the data-plane nodes, from the traffic summary
 * each node publishes in its membership record ({@code NodeRecord.Traffic}: its own metrics over the
 * last 10 s): requests and 5xx answers added up per side, the p99 of a side is its slowest node's.
 * A canary node counts on the canary's side only once it serves the canary (its record names it);
 * before that its traffic is the base's and counts nowhere. Stateless.
 */
public final class CanaryJudge {
  private CanaryJudge() {}

  /**
   * @param comparison both sides and the verdict in words
   * @param worse whether the canary is worse than the rest by a margin of its {@link Canary.AutoAbort}
   */
  public record Judgement(CanaryControl.Comparison comparison, boolean worse) {}

  /** Whether {@code n} serves traffic (data-plane or all): the nodes a canary selects among. */
  public static boolean servesTraffic(NodeRecord n) {
    return n.role().equals("data-plane") || n.role().equals("all");
  }

  public static Judgement judge(Canary c, List<NodeRecord> nodes, @Nullable Instant worseSince) {
    List<NodeRecord> canary = new ArrayList<>();
    List<NodeRecord> rest = new ArrayList<>();
    for (NodeRecord n : nodes) {
      if (!servesTraffic(n) || n.traffic() == null) continue;
      if (c.selects(n.id())) {
        if (c.id().equals(n.canary())) canary.add(n);
      } else {
        rest.add(n);
      }
    }
    CanaryControl.Side a = side(canary);
    CanaryControl.Side b = side(rest);
    Canary.AutoAbort policy = c.autoAbort();
    List<String> worse = new ArrayList<>();
    String verdict;
    if (a.requests() < policy.minRequests()) {
      verdict = "too few requests on the canary to judge (" + a.requests() + " of " + policy.minRequests() + " needed)";
    } else {
      if (a.errorRate() - b.errorRate() > policy.errorRateMargin()) {
        worse.add("5xx rate " + percent(a.errorRate()) + " on the canary (" + a.errors() + " of " + a.requests() + ") against "
            + percent(b.errorRate()) + " on the rest (" + b.errors() + " of " + b.requests() + "), margin "
            + percent(policy.errorRateMargin()));
      }
      if (a.p99().minus(b.p99()).compareTo(policy.p99Margin()) > 0) {
        worse.add("p99 " + millis(a.p99()) + " on the canary against " + millis(b.p99()) + " on the rest, margin "
            + millis(policy.p99Margin()));
      }
      verdict = worse.isEmpty() ? "healthy" : String.join("; ", worse);
    }
    return new Judgement(new CanaryControl.Comparison(a, b, verdict, worse.isEmpty() ? null : worseSince), !worse.isEmpty());
  }

  private static CanaryControl.Side side(List<NodeRecord> nodes) {
    long requests = 0;
    long errors = 0;
    Duration p99 = Duration.ZERO;
    Duration window = Duration.ZERO;
    List<String> ids = new ArrayList<>();
    for (NodeRecord n : nodes) {
      NodeRecord.Traffic t = n.traffic();
      if (t == null) continue;
      ids.add(n.id());
      requests += t.requests();
      errors += t.errors();
      if (t.p99().compareTo(p99) > 0) p99 = t.p99();
      if (t.window().compareTo(window) > 0) window = t.window();
    }
    return new CanaryControl.Side(ids, requests, errors, p99, window);
  }

  static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f%%", share * 100);
  }

  static String millis(Duration d) {
    return String.format(Locale.ROOT, "%.1fms", d.toNanos() / 1e6);
  }
}
