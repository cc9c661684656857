package io.sluice.filters.staticresponse;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.HeaderRules;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code static-response}: answers every request with a fixed response (a mock, a maintenance
 * page, the target of a flow jump). The response is encoded once, when the configuration is
 * applied. Its result is named {@code respond}.
 *
 * <pre>{@code
 * - kind: static-response
 *   config:
 *     status: 503
 *     headers: {Retry-After: "120"}
 *     contentType: application/json
 *     body: '{"message":"down for maintenance"}'
 * }</pre>
 */
public final class StaticResponseFilterFactory implements FilterFactory<StaticResponseConfig> {
  @Override
  public String kind() {
    return "static-response";
  }

  @Override
  public Class<StaticResponseConfig> configType() {
    return StaticResponseConfig.class;
  }

  @Override
  public void validate(StaticResponseConfig c, Problems problems) {
    if (c.status() < 200 || c.status() > 599) problems.add("status", "expected 200 to 599, got " + c.status());
    boolean bodiless = c.status() == 204 || c.status() == 304;
    if (bodiless && c.body() != null) problems.add("body", "a " + c.status() + " response has no body");
    for (Map.Entry<String, String> h : c.headers().entrySet()) {
      try {
        HeaderRules.check(h.getKey(), h.getValue(), true);
      } catch (IllegalArgumentException e) {
        problems.add("headers." + h.getKey(), String.valueOf(e.getMessage()));
      }
    }
    if (c.contentType() != null) {
      try {
        HeaderRules.check("Content-Type", c.contentType(), true);
      } catch (IllegalArgumentException e) {
        problems.add("contentType", String.valueOf(e.getMessage()));
      }
      if (c.headers().keySet().stream().anyMatch(k -> k.equalsIgnoreCase("content-type"))) {
        problems.add("contentType", "set together with a Content-Type in headers; expected one of them");
      }
    }
  }

  @Override
  public Filter create(StaticResponseConfig c, FilterEnvironment env) {
    LocalResponse.Builder b = LocalResponse.builder(c.status()).headers(c.headers());
    boolean typed = c.headers().keySet().stream().anyMatch(k -> k.equalsIgnoreCase("content-type"));
    if (c.contentType() != null) {
      b.header("Content-Type", c.contentType());
    } else if (c.body() != null && !typed) {
      b.header("Content-Type", "text/plain; charset=utf-8");
    }
    if (c.body() != null) b.body(c.body().getBytes(StandardCharsets.UTF_8));
    FilterResult result = FilterResult.respond(b.build());
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        return result;
      }
    };
  }
}
