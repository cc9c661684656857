package io.sluice.admin.internal;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A request as the handlers see it: fully read, copied off Netty's buffers.
 *
 * @param pathParameters the values of the route template's {@code {placeholders}}
 * @param query single-valued query parameters (the route has already refused unknown and repeated ones)
 */
public record ApiRequest(HttpMethod method, String path, Map<String, String> pathParameters, Map<String, String> query,
    HttpHeaders headers, byte[] body, Principal principal) {

  public String pathParameter(String name) {
    String v = pathParameters.get(name);
    if (v == null) throw new IllegalStateException("the route has no {" + name + "}");
    return v;
  }

  public @Nullable String queryParameter(String name) {
    return query.get(name);
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** A query parameter that must be a whole number from {@code min} to {@code max}; {@code dflt} when absent. */
  public long longParameter(String name, long dflt, long min, long max) {
    String v = query.get(name);
    if (v == null) return dflt;
    String range = max == Long.MAX_VALUE ? min + " or more" : "from " + min + " to " + max;
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("query parameter " + name + " must be a whole number " + range + ", got '" + v + "'");
    }
    if (n < min || n > max) throw ApiError.badRequest("query parameter " + name + " must be " + range + ", got " + n);
    return n;
  }

  /** A query parameter that must be {@code true} or {@code false}; false when absent. */
  public boolean booleanParameter(String name) {
    String v = query.get(name);
    if (v == null || v.equals("false")) return false;
    if (v.equals("true")) return true;
    throw ApiError.badRequest("query parameter " + name + " must be true or false, got '" + v + "'");
  }
}
