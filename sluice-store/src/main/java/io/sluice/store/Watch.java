package io.sluice.store;

/** A running watch; closing it stops delivery (an event being delivered completes). */
public interface Watch extends AutoCloseable {
  @Override
  void close();
}
