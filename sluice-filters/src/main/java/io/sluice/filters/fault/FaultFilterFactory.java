package io.sluice.filters.fault;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filters.common.Values;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.HeaderRules;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * {@code fault}: fault injection. Delays a share of the requests by a fixed duration and/or
 * answers a share of them with an error, optionally only requests carrying a header (so a tester
 * can fault their own requests on a live route).
 *
 * <pre>{@code
 * - kind: fault
 *   config:
 *     header: X-Fault-Test              # optional: only requests with this header
 *     delay: {duration: 2s, percentage: 10}
 *     abort: {status: 503, percentage: 5, body: "injected", contentType: text/plain}
 * }</pre>
 *
 * <p>The delay comes first, then the abort; each draws its own chance. A delay is a task scheduled
 * on the exchange's event loop (no thread waits); the chain then goes on, so an aborted request
 * can be delayed too. An abort answers with result {@code abort} and the upstream gets nothing.
 */
public final class FaultFilterFactory implements FilterFactory<FaultConfig> {
  @Override
  public String kind() {
    return "fault";
  }

  @Override
  public Class<FaultConfig> configType() {
    return FaultConfig.class;
  }

  @Override
  public void validate(FaultConfig c, Problems problems) {
    if (c.delay() == null && c.abort() == null) {
      problems.add("", "no fault; expected delay, abort or both");
    }
    if (c.header() != null) Values.headerName(problems, "header", c.header());
    FaultConfig.Delay d = c.delay();
    if (d != null) {
      if (d.duration() == null) {
        problems.add("delay.duration", "missing; expected a duration such as 2s");
      } else if (d.duration().isNegative() || d.duration().isZero()) {
        problems.add("delay.duration", "expected a duration above zero, got " + d.duration());
      }
      percentage(problems, "delay.percentage", d.percentage());
    }
    FaultConfig.Abort a = c.abort();
    if (a != null) {
      percentage(problems, "abort.percentage", a.percentage());
      if (a.status() == null) {
        problems.add("abort.status", "missing; expected a status code such as 503");
      } else if (a.status() < 200 || a.status() > 599) {
        problems.add("abort.status", "expected 200 to 599, got " + a.status());
      } else if ((a.status() == 204 || a.status() == 304) && a.body() != null) {
        problems.add("abort.body", "a " + a.status() + " response has no body");
      }
      if (a.contentType() != null && a.body() == null) problems.add("abort.contentType", "set without a body");
      if (a.contentType() != null) header(problems, "abort.contentType", "Content-Type", a.contentType());
      for (Map.Entry<String, String> h : a.headers().entrySet()) {
        header(problems, "abort.headers." + h.getKey(), h.getKey(), h.getValue());
      }
    }
  }

  private static void percentage(Problems problems, String field, double p) {
    if (!(p >= 0 && p <= 100)) problems.add(field, "expected 0 to 100, got " + p);
  }

  private static void header(Problems problems, String field, String name, String value) {
    try {
      HeaderRules.check(name, value, true);
    } catch (IllegalArgumentException e) {
      problems.add(field, String.valueOf(e.getMessage()));
    }
  }

  @Override
  public Filter create(FaultConfig c, FilterEnvironment env) {
    String header = c.header();
    long delayNanos = c.delay() == null ? 0 : Objects.requireNonNull(c.delay().duration(), "delay.duration (validated)").toNanos();
    double delayShare = c.delay() == null ? 0 : c.delay().percentage() / 100;
    double abortShare = c.abort() == null ? 0 : c.abort().percentage() / 100;
    FilterResult abort = c.abort() == null ? FilterResult.CONTINUE : FilterResult.respond("abort", response(c.abort()));
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        if (header != null && !x.request().headers().contains(header)) return FilterResult.CONTINUE;
        FilterResult after = chance(abortShare) ? abort : FilterResult.CONTINUE;
        if (!chance(delayShare)) return after;
        return FilterResult.async(delay(x.executor(), delayNanos, after));
      }
    };
  }

  /** True with probability {@code share}: always at 1, never at 0. */
  private static boolean chance(double share) {
    return share >= 1 || (share > 0 && ThreadLocalRandom.current().nextDouble() < share);
  }

  /** {@code result}, {@code nanos} from now, completed on {@code loop} by its own scheduler. */
  private static CompletableFuture<FilterResult> delay(Executor loop, long nanos, FilterResult result) {
    if (loop instanceof ScheduledExecutorService scheduler) {
      CompletableFuture<FilterResult> f = new CompletableFuture<>();
      scheduler.schedule(() -> f.complete(result), nanos, TimeUnit.NANOSECONDS);
      return f;
    }
    // Exchange.executor() is declared as a plain Executor; the data plane's is a Netty event loop,
    // which schedules. For any other, the JDK's delayer thread hands the completion to the loop.
    return CompletableFuture.supplyAsync(() -> result, CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS, loop));
  }

  static LocalResponse response(FaultConfig.Abort a) {
    int status = Objects.requireNonNull(a.status(), "abort.status (validated)");
    @Nullable String body = a.body();
    if (body == null) {
      LocalResponse.Builder b = status == 204 || status == 304
          ? LocalResponse.builder(status).header("X-Sluice-Reason", "fault_injected")
          : LocalResponse.error(status, "fault_injected", "fault injected by the gateway").toBuilder();
      return b.headers(a.headers()).build();
    }
    return LocalResponse.builder(status)
        .headers(a.headers())
        .body(a.contentType() == null ? "text/plain; charset=utf-8" : a.contentType(), body)
        .build();
  }
}
