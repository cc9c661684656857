package io.sluice.filter.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The request as the gateway would send it upstream after the request phase: the filters' edits
 * applied, hop-by-hop fields left out, Host from the authority, Content-Length from the body. The
 * fields the runtime adds itself ({@code X-Forwarded-*}, {@code X-Request-Id}) are not shown.
 *
 * @param headers every field in the order it would be written, Host first
 * @param body the body, or null when the request goes without one
 */
public record UpstreamRequest(String method, String path, @Nullable String query, String authority,
    List<HeaderField> headers, byte @Nullable [] body) {
  public UpstreamRequest {
    headers = List.copyOf(headers);
  }

  /** The request target: path and query. */
  public String target() {
    return query == null ? path : path + "?" + query;
  }

  /** The first value of a field (case-insensitive), or null. */
  public @Nullable String header(String name) {
    return Fields.first(headers, name);
  }

  /** Every value of a field, in order. */
  public List<String> headerValues(String name) {
    return Fields.all(headers, name);
  }

  /** The body as UTF-8 text; empty when there is none. */
  public String bodyText() {
    return body == null ? "" : new String(body, StandardCharsets.UTF_8);
  }
}
