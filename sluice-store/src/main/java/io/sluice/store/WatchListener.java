package io.sluice.store;

/** Receives a {@link Watch}'s events, one at a time, in revision order, on the watch's own thread. */
public interface WatchListener {
  /**
   * One revision. Throwing ends the watch: {@link #onError} then receives what was thrown, and
   * nothing more is delivered.
   */
  void onEvent(WatchEvent event);

  /**
   * The watch ended for another reason than its own {@link Watch#close()} and delivers nothing
   * more: {@code onEvent} threw, the store was closed ({@link IllegalStateException}) or failed
   * ({@link StoreException}). The default does nothing.
   */
  default void onError(Throwable error) {}
}
