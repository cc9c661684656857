package io.sluice.admin;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request to route on paper: the body of {@code POST /api/v1/route-test}.
 *
 * @param method the request method, an RFC 9110 token such as {@code GET}
 * @param url an absolute {@code http} or {@code https} URL; its host (and port) is the request's
 *     Host, its path and query the request target
 * @param headers header fields in order; a name may repeat
 * @param listener the listener that receives the request, or null for the one the URL's port
 *     points at (the tester decides)
 */
public record RouteTestRequest(String method, URI url, List<Header> headers, @Nullable String listener) {
  public RouteTestRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(url, "url");
    headers = List.copyOf(headers);
    if (!url.isAbsolute() || url.getHost() == null) {
      throw new IllegalArgumentException("url must be absolute with a host, got '" + url + "'");
    }
  }

  /** One header field. */
  public record Header(String name, String value) {
    public Header {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }
}
