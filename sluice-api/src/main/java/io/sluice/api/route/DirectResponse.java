package io.sluice.api.route;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A response the gateway sends itself, without an upstream (Envoy's {@code direct_response}).
 *
 * @param status the status code, 200 to 599 (default 200)
 * @param body the body text; with {@code echo: true} it must be left out
 * @param headers response headers added as given
 * @param echo when true the body is a JSON description of the request (method, path, headers),
 *     which makes a demo or a smoke test work with no upstream server at all
 */
public record DirectResponse(Integer status, @Nullable String body, Map<String, String> headers, Boolean echo) {
  public DirectResponse {
    status = status == null ? 200 : status;
    headers = headers == null ? Map.of() : Map.copyOf(headers);
    echo = echo != null && echo;
  }
}
