package io.sluice.store;

/** Receives a {@link Watch}'s events, one at a time, in revision order. */
public interface WatchListener {
  void onEvent(WatchEvent event);

  /**
   * The watch ended abnormally (the store failed or closed) and delivers nothing more. The default
   * does nothing.
   */
  default void onError(Throwable error) {}
}
