package io.sluice.admin;

/**
 * Something other parts mount on the admin listener with
 * {@link AdminServer.Builder#endpoint(String, AdminEndpoint)}, such as the Prometheus
 * {@code /metrics}. It answers GET only; callers need at least the viewer role (no token on an
 * open loopback listener). Called on a virtual thread, concurrently; must be thread-safe.
 */
@FunctionalInterface
public interface AdminEndpoint {
  /** The response body. An exception is answered with a 500 and logged. */
  String get() throws Exception;

  /** The response's {@code Content-Type}. */
  default String contentType() {
    return "text/plain; charset=utf-8";
  }
}
