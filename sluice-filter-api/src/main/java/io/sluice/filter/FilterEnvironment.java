package io.sluice.filter;

import io.sluice.api.ConfigSet;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** What a {@link FilterFactory} gets to create a filter with. Valid during {@link FilterFactory#create} only. */
public interface FilterEnvironment {
  /** The whole configuration being applied: Consumers for authentication filters, and so on. */
  ConfigSet config();

  /** The object the filter is configured in: {@code Route/orders}, {@code Pipeline/auth}, {@code GlobalFilter/edge}. */
  String owner();

  /** Where in the object: {@code spec.filters[1]}, {@code spec.before[0]}. */
  String field();

  /** The filter's {@code name}, or null when it has none. */
  @Nullable String name();

  /**
   * The metrics this filter may define and update, exported on {@code /metrics} as
   * {@code sluice_filter_<name>} (see {@link FilterMetrics}). The object outlives this call: keep
   * it, or the series it returns, in the filter.
   */
  FilterMetrics metrics();

  /**
   * An object that outlives this configuration: the next configuration gets the same object from
   * the same call (same filter kind, same owner, same filter name or place, same {@code key}) as
   * long as it asks for it, so counters and buckets survive configuration changes. Objects the next
   * configuration does not ask for are dropped. The object is used from every event loop at once,
   * so it must be thread-safe.
   *
   * @param key distinguishes several objects of one filter; include in it whatever config change
   *     must start the object afresh
   */
  <T> T shared(String key, Supplier<T> create);

  /**
   * An executor of virtual threads, for the blocking work of an async filter
   * ({@link FilterResult#async}): never block an event loop.
   */
  Executor blockingExecutor();
}
