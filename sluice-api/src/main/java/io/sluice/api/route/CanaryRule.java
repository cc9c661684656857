package io.sluice.api.route;

import org.jspecify.annotations.Nullable;

/**
 * Sends the requests that satisfy {@code when} to {@code upstream}, ahead of the route's
 * {@code upstream} or weighted {@code upstreams}. Rules are tried in order; the first that holds wins.
 *
 * <pre>{@code
 * canary:
 *   - {when: {header: {name: x-canary, exact: "1"}}, upstream: orders-v2}
 *   - {when: {cookie: {name: beta, present: true}}, upstream: orders-v2}
 *   - {when: {query: {name: v, exact: "2"}}, upstream: orders-v2}
 * }</pre>
 *
 * @param when the conditions, all of which must hold
 * @param upstream the Upstream the matching requests go to
 */
public record CanaryRule(When when, String upstream) {

  /**
   * Conditions on the request; at least one is set, and all that are set must hold. Each has the
   * shape of a route's header/query match: {@code {name, exact | regex | present: true | absent: true}}.
   *
   * @param header on a header (the name is case-insensitive; the first value is tested)
   * @param cookie on a cookie of the {@code Cookie} header (the name is case-sensitive)
   * @param query on a query parameter (decoded; the first occurrence is tested)
   */
  public record When(@Nullable KeyMatch header, @Nullable KeyMatch cookie, @Nullable KeyMatch query) {}
}
