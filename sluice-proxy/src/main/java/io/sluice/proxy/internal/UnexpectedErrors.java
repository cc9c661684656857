package io.sluice.proxy.internal;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exceptions the data plane did not expect: an exception reaching a client or upstream connection's
 * handler that is not an I/O error (those are the network's, and expected), and a filter that
 * throws or whose async result fails. Each is counted per place ({@code
 * sluice_unexpected_errors_total{where}}) and logged at WARN, at most one line per
 * {@link #LOG_INTERVAL} per place and exception class, so that a failure repeated on every request
 * costs a counter increment, not a log line.
 *
 * <p>Thread-safe: the event loops record, a scrape reads.
 */
final class UnexpectedErrors {
  /** The least time between two log lines of the same place and exception class. */
  static final Duration LOG_INTERVAL = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(UnexpectedErrors.class);

  /** Where an unexpected exception was caught: the {@code where} label. */
  enum Where {
    /** A client connection's handler. */
    DOWNSTREAM("downstream"),
    /** An upstream connection's handler. */
    UPSTREAM("upstream"),
    /** A filter (its phases, its async result, its end callback). */
    FILTER("filter");

    final String label;

    Where(String label) {
      this.label = label;
    }
  }

  private final LongAdder[] counts = new LongAdder[Where.values().length];
  private final RateLimitedLog warnings = new RateLimitedLog(log, LOG_INTERVAL, 256);

  UnexpectedErrors() {
    for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
  }

  /** Counts and (rate-limited) logs {@code cause}, caught at {@code where}. */
  void record(Where where, Throwable cause) {
    record(where, where.label, cause);
  }

  /**
   * Counts and (rate-limited) logs {@code cause}, caught at {@code where}.
   *
   * @param what what failed, for the log line (a filter's name and place)
   */
  void record(Where where, String what, Throwable cause) {
    counts[where.ordinal()].increment();
    warnings.warn(where.label + ' ' + cause.getClass().getName(), "unexpected " + cause.getClass().getName() + " in " + what, cause);
  }

  /** How many were counted at {@code where} so far. */
  long count(Where where) {
    return counts[where.ordinal()].sum();
  }
}
