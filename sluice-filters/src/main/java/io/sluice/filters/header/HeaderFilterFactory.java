package io.sluice.filters.header;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import io.sluice.filter.HeaderRules;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code header}: sets, adds and removes request headers (before the request goes upstream) and
 * response headers (before the response goes to the client).
 *
 * <pre>{@code
 * - kind: header
 *   config:
 *     request:
 *       set: {X-Team: shop}
 *       add: {X-Via: sluice}
 *       remove: [X-Debug]
 *     response:
 *       set: {Strict-Transport-Security: max-age=31536000}
 *       remove: [Server]
 * }</pre>
 *
 * <p>Host, Content-Length, Transfer-Encoding and the hop-by-hop headers are refused when the
 * config is validated: the gateway writes them (the {@code rewrite} filter changes the Host).
 */
public final class HeaderFilterFactory implements FilterFactory<HeaderConfig> {
  @Override
  public String kind() {
    return "header";
  }

  @Override
  public Class<HeaderConfig> configType() {
    return HeaderConfig.class;
  }

  @Override
  public void validate(HeaderConfig c, Problems problems) {
    if ((c.request() == null || c.request().isEmpty()) && (c.response() == null || c.response().isEmpty())) {
      problems.add("", "no edits; expected request or response with set, add or remove");
    }
    check(c.request(), "request", false, problems);
    check(c.response(), "response", true, problems);
  }

  private static void check(HeaderConfig.@Nullable Edits e, String field, boolean response, Problems problems) {
    if (e == null) return;
    for (Map.Entry<String, String> h : e.set().entrySet()) field(h.getKey(), h.getValue(), field + ".set." + h.getKey(), response, problems);
    for (Map.Entry<String, String> h : e.add().entrySet()) field(h.getKey(), h.getValue(), field + ".add." + h.getKey(), response, problems);
    for (int i = 0; i < e.remove().size(); i++) {
      try {
        HeaderRules.checkName(e.remove().get(i), response);
      } catch (IllegalArgumentException x) {
        problems.add(field + ".remove[" + i + "]", String.valueOf(x.getMessage()));
      }
    }
  }

  private static void field(String name, String value, String at, boolean response, Problems problems) {
    try {
      HeaderRules.check(name, value, response);
    } catch (IllegalArgumentException x) {
      problems.add(at, String.valueOf(x.getMessage()));
    }
  }

  @Override
  public Filter create(HeaderConfig c, FilterEnvironment env) {
    @Nullable Edit request = Edit.of(c.request());
    @Nullable Edit response = Edit.of(c.response());
    if (response == null) {
      // validate() refused a config with no edits
      Edit requestOnly = Objects.requireNonNull(request);
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          requestOnly.apply(x.request().headers());
          return FilterResult.CONTINUE;
        }
      };
    }
    Edit responseEdit = response;
    if (request == null) {
      return new Filter() {
        @Override
        public FilterResult onResponse(Exchange x) {
          responseEdit.apply(x.response().headers());
          return FilterResult.CONTINUE;
        }
      };
    }
    Edit requestEdit = request;
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        requestEdit.apply(x.request().headers());
        return FilterResult.CONTINUE;
      }

      @Override
      public FilterResult onResponse(Exchange x) {
        responseEdit.apply(x.response().headers());
        return FilterResult.CONTINUE;
      }
    };
  }

  /** One direction's edits as arrays: applying them iterates arrays, nothing else. */
  private record Edit(String[] remove, String[] setNames, String[] setValues, String[] addNames, String[] addValues) {
    static @Nullable Edit of(HeaderConfig.@Nullable Edits e) {
      if (e == null || e.isEmpty()) return null;
      return new Edit(e.remove().toArray(String[]::new),
          e.set().keySet().toArray(String[]::new), e.set().values().toArray(String[]::new),
          e.add().keySet().toArray(String[]::new), e.add().values().toArray(String[]::new));
    }

    void apply(Headers h) {
      for (String r : remove) h.remove(r);
      for (int i = 0; i < setNames.length; i++) h.set(setNames[i], setValues[i]);
      for (int i = 0; i < addNames.length; i++) h.add(addNames[i], addValues[i]);
    }
  }
}
