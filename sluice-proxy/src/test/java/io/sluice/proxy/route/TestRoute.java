package io.sluice.proxy.route;

import io.sluice.api.route.KeyMatch;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteMatch;
import io.sluice.api.route.RouteSpec;
import java.util.ArrayList;
import java.util.List;

/** Builds a {@link RouteEntry} whose target is its name, so tests assert on names. */
final class TestRoute {
  private final String name;
  private final PathMatch path;
  private List<String> hosts = List.of();
  private int priority;
  private List<String> methods = List.of();
  private final List<KeyMatch> headers = new ArrayList<>();
  private final List<KeyMatch> query = new ArrayList<>();

  private TestRoute(String name, PathMatch path) {
    this.name = name;
    this.path = path;
  }

  static TestRoute route(String name, PathMatch path) {
    return new TestRoute(name, path);
  }

  TestRoute hosts(String... hosts) {
    this.hosts = List.of(hosts);
    return this;
  }

  TestRoute priority(int priority) {
    this.priority = priority;
    return this;
  }

  TestRoute methods(String... methods) {
    this.methods = List.of(methods);
    return this;
  }

  TestRoute header(KeyMatch header) {
    headers.add(header);
    return this;
  }

  TestRoute query(KeyMatch parameter) {
    query.add(parameter);
    return this;
  }

  RouteEntry<String> entry() {
    RouteMatch match = new RouteMatch(path, methods, headers, query);
    return new RouteEntry<>(name, new RouteSpec(null, hosts, priority, match, "upstream", null, null), name);
  }
}
