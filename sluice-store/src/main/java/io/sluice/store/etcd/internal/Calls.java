package io.sluice.store.etcd.internal;

import io.sluice.store.StoreException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for jetcd's asynchronous calls: the store's methods block (see
 * {@link io.sluice.store.ConfigStore}), each etcd request bounded by the connection's timeout.
 */
public final class Calls {
  private Calls() {}

  /**
   * The result of {@code call}, {@code what} naming it in the {@link StoreException} thrown when etcd
   * fails or does not answer within {@code timeout}.
   */
  public static <T> T await(CompletableFuture<T> call, Duration timeout, String what, Object where) {
    try {
      return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new StoreException(what + ": etcd at " + where + " did not answer within " + timeout, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StoreException(what + ": etcd at " + where + " failed: " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel(true);
      throw new StoreException(what + ": interrupted while waiting for etcd at " + where, e);
    }
  }
}
