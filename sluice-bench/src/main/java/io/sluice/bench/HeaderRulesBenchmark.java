package io.sluice.bench;

import io.sluice.filter.HeaderRules;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The header checks every filter header edit goes through ({@link HeaderRules#check}), for the
 * names examples/bench-filters writes on each request: rate-limit's three RateLimit headers and the
 * header filter's request and response names. Run with {@code -prof gc} to see the bytes per
 * operation (the per-request allocation the five-filter route pays for these checks).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HeaderRulesBenchmark {
  // Fields, not constants, so the JIT cannot fold the checks away.
  private String limit = "RateLimit-Limit";
  private String remaining = "RateLimit-Remaining";
  private String reset = "RateLimit-Reset";
  private String request = "X-Bench";
  private String response = "X-Served-By";
  private String value = "100000000";

  /** The five names the five-filter route checks per request, as one operation. */
  @Benchmark
  public void fiveFilterRouteNames(Blackhole bh) {
    bh.consume(HeaderRules.check(request, "sluice", false));
    bh.consume(HeaderRules.check(limit, value, true));
    bh.consume(HeaderRules.check(remaining, value, true));
    bh.consume(HeaderRules.check(reset, "1", true));
    bh.consume(HeaderRules.check(response, "sluice", true));
  }
}
