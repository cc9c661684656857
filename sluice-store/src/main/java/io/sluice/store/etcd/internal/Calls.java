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
      throw new StoreException(what + ": etcd at " + where + " did not answer within " + format(timeout), e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StoreException(what + ": etcd at " + where + " failed: " + describe(cause), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel(true);
      throw new StoreException(what + ": interrupted while waiting for etcd at " + where, e);
    }
  }

  /** {@code 10s}, {@code 1500ms}. */
  private static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** Every distinct message down the cause chain: gRPC's own is often only a status code. */
  private static String describe(Throwable error) {
    java.util.LinkedHashSet<String> messages = new java.util.LinkedHashSet<>();
    for (Throwable t = error; t != null && messages.size() < 5; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && !m.isBlank() && messages.stream().noneMatch(seen -> seen.contains(m))) messages.add(m);
      if (t.getCause() == t) break;
    }
    return messages.isEmpty() ? error.toString() : String.join(": ", messages);
  }
}
