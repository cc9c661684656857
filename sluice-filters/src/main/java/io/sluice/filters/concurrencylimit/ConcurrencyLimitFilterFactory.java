package io.sluice.filters.concurrencylimit;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Attribute;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code concurrency-limit}: at most {@code max} requests of a route in flight at once; one more is
 * refused at once (no queue) with 503 {@code concurrency_limit_exceeded} (result {@code overloaded}).
 * A request holds its slot from this filter's request phase until the exchange ends, however it
 * ends (response complete, upstream error, client gone).
 *
 * <pre>{@code
 * - kind: concurrency-limit
 *   config: {max: 100}
 * }</pre>
 *
 * <p>The count is global to the gateway process (one atomic counter per route shared by every event
 * loop) and survives configuration changes, so requests in flight across a change still count.
 */
public final class ConcurrencyLimitFilterFactory implements FilterFactory<ConcurrencyLimitConfig> {
  @Override
  public String kind() {
    return "concurrency-limit";
  }

  @Override
  public Class<ConcurrencyLimitConfig> configType() {
    return ConcurrencyLimitConfig.class;
  }

  @Override
  public void validate(ConcurrencyLimitConfig c, Problems problems) {
    if (c.max() < 1) {
      problems.add("max", c.max() == 0 ? "missing; expected the most requests in flight, at least 1" : "expected at least 1, got " + c.max());
    }
    if (c.status() != 503 && c.status() != 429) problems.add("status", "expected 503 or 429, got " + c.status());
  }

  @Override
  public Filter create(ConcurrencyLimitConfig c, FilterEnvironment env) {
    int max = c.max();
    // The counter the current request holds a slot of; one key per place (two of these filters in a
    // chain must not share it), kept across configurations so that keys are not minted per apply.
    Attribute<AtomicInteger> slot = env.shared("slot", () -> Attribute.of("concurrency-limit.slot"));
    // Per route: a pipeline's or GlobalFilter's instance serves several routes.
    ConcurrentMap<String, AtomicInteger> inFlight = env.shared("in-flight", ConcurrentHashMap::new);
    FilterResult overloaded = FilterResult.respond("overloaded", LocalResponse.error(c.status(), "concurrency_limit_exceeded",
        "more than " + max + " requests in flight on this route"));
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        AtomicInteger n = inFlight.get(x.route());
        if (n == null) n = inFlight.computeIfAbsent(x.route(), r -> new AtomicInteger());
        if (n.incrementAndGet() > max) {
          n.decrementAndGet();
          return overloaded;
        }
        x.setAttribute(slot, n);
        return FilterResult.CONTINUE;
      }

      @Override
      public void onEnd(Exchange x) {
        AtomicInteger n = x.attribute(slot);
        if (n != null) {
          x.setAttribute(slot, null);
          n.decrementAndGet();
        }
      }
    };
  }
}
