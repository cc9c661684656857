package io.sluice.store;

/**
 * The store could not do its job: an I/O error, a damaged database, a data directory held by
 * another process, a backend that cannot be reached. Unlike {@link StoreConflictException} and
 * {@link io.sluice.api.ConfigException} it says nothing about the change set; when an apply fails
 * with it, the change set may or may not have been written (read {@link ConfigStore#revision()} to
 * find out). The admin API answers 503.
 */
public class StoreException extends RuntimeException {
  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
