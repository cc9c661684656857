package io.sluice.proxy.route.internal;

/** How a route matches the path; declared from the most to the least preferred. */
public enum PathKind {
  EXACT,
  TEMPLATE,
  PREFIX,
  REGEX
}
