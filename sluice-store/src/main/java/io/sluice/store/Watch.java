package io.sluice.store;

/**
 * A running watch (see {@link ConfigStore#watch}).
 *
 * <p>{@link #close()} stops delivery: an event being delivered completes, and when close returns no
 * event is being delivered or will be (unless close was called by the listener itself, from
 * {@code onEvent}, which then completes as usual). Idempotent; {@code onError} is not called.
 */
public interface Watch extends AutoCloseable {
  @Override
  void close();
}
