package io.sluice.admin;

/**
 * Answers {@code POST /api/v1/route-test}: which route, upstream and filters a request would get
 * on the running data plane, without sending it. The server module implements it with the
 * proxy's router, so the answer is exactly what the data plane would do.
 *
 * <p>Called on a virtual thread, concurrently; must be thread-safe.
 */
@FunctionalInterface
public interface RouteTester {
  /**
   * @throws IllegalArgumentException when the request cannot be tested (for example it names a
   *     listener that does not exist); the message is sent to the caller as a 400
   */
  RouteTestResult test(RouteTestRequest request);
}
