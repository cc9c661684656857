package io.sluice.wasm.internal;

import io.sluice.filter.Exchange;
import io.sluice.filter.Request;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The properties a plugin reads with {@code proxy_get_property}, by their Envoy names (path
 * segments joined with dots). {@link #NAMES} is the documented list (docs/filters.md).
 */
final class Properties {
  /** Every property served, in the order docs/filters.md lists them. */
  static final List<String> NAMES = List.of(
      "request.path", "request.url_path", "request.query", "request.method", "request.host",
      "request.scheme", "source.address", "response.code", "route_name", "listener_name",
      "plugin_root_id", "plugin_name");

  private Properties() {}

  /**
   * The value of {@code path}: a property Sluice serves, else one the plugin set on this request
   * ({@code proxy_set_property}); null when unknown or without a value here.
   */
  static @Nullable String get(String path, PluginSettings settings, @Nullable HttpContext context) {
    switch (path) {
      case "plugin_root_id", "plugin_name" -> {
        return settings.rootId();
      }
      default -> {}
    }
    if (context == null) return null;
    Exchange x = context.exchange();
    Request r = x.request();
    return switch (path) {
      case "request.path" -> r.query() == null ? r.path() : r.path() + "?" + r.query();
      case "request.url_path" -> r.path();
      case "request.query" -> r.query();
      case "request.method" -> r.method();
      case "request.host" -> r.authority();
      case "request.scheme" -> r.scheme();
      case "source.address" -> r.clientIp();
      case "response.code" -> context.responsePhase() ? Integer.toString(x.response().status()) : null;
      case "route_name" -> x.route();
      case "listener_name" -> x.listener();
      default -> context.property(path);
    };
  }
}
