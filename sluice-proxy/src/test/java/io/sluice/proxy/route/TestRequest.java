package io.sluice.proxy.route;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A {@link RequestView} built by hand; counts reads of the query so tests can see laziness. */
final class TestRequest implements RequestView {
  private String method = "GET";
  private String host = "example.com";
  private final String path;
  private final @Nullable String query;
  private final Map<String, String> headers = new HashMap<>();
  int queryReads;

  private TestRequest(String path, @Nullable String query) {
    this.path = path;
    this.query = query;
  }

  /** A GET to example.com; {@code target} may carry a {@code ?query}. */
  static TestRequest get(String target) {
    int q = target.indexOf('?');
    return q < 0 ? new TestRequest(target, null) : new TestRequest(target.substring(0, q), target.substring(q + 1));
  }

  TestRequest method(String method) {
    this.method = method;
    return this;
  }

  TestRequest host(String host) {
    this.host = host;
    return this;
  }

  TestRequest header(String name, String value) {
    headers.putIfAbsent(name.toLowerCase(Locale.ROOT), value);
    return this;
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public @Nullable String query() {
    queryReads++;
    return query;
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }

  @Override
  public String clientIp() {
    return "127.0.0.1";
  }

  @Override
  public String toString() {
    return method + " " + host + path + (query == null ? "" : "?" + query);
  }
}
