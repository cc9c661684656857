package io.sluice.filters.staticresponse;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code static-response} filter's config.
 *
 * @param status 200 to 599 (default 200)
 * @param headers response headers, in order
 * @param body the body text (UTF-8); none when left out
 * @param contentType the Content-Type of the body (default {@code text/plain; charset=utf-8} when
 *     there is a body and {@code headers} has no Content-Type)
 */
public record StaticResponseConfig(Integer status, Map<String, String> headers, @Nullable String body,
    @Nullable String contentType) {
  public StaticResponseConfig {
    status = status == null ? 200 : status;
    headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
  }
}
