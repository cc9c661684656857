package io.sluice.filters.redirect;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filters.common.Values;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import java.util.Locale;

/**
 * {@code redirect}: answers with a redirect to the request's URL with the configured parts changed;
 * the query is kept. Its result is named {@code redirect}.
 *
 * <pre>{@code
 * - kind: redirect
 *   config: {status: 301, scheme: https}            # http://a.example/x?y -> https://a.example/x?y
 * - kind: redirect
 *   config: {status: 308, host: new.example, path: /v2/orders}
 * }</pre>
 *
 * <p>When the scheme or host changes and no {@code port} is set, the request's port is dropped
 * (a redirect from {@code :8080} over plain HTTP to HTTPS goes to the default HTTPS port).
 */
public final class RedirectFilterFactory implements FilterFactory<RedirectConfig> {
  @Override
  public String kind() {
    return "redirect";
  }

  @Override
  public Class<RedirectConfig> configType() {
    return RedirectConfig.class;
  }

  @Override
  public void validate(RedirectConfig c, Problems problems) {
    int s = c.status();
    if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) {
      problems.add("status", "expected 301, 302, 303, 307 or 308, got " + s);
    }
    if (c.scheme() != null && !c.scheme().equals("http") && !c.scheme().equals("https")) {
      problems.add("scheme", "expected http or https, got '" + c.scheme() + "'");
    }
    if (c.host() != null) Values.authority(problems, "host", c.host());
    if (c.port() != null && (c.port() < 1 || c.port() > 65535)) problems.add("port", "expected 1 to 65535, got " + c.port());
    if (c.path() != null) Values.absolutePath(problems, "path", c.path());
    if (c.scheme() == null && c.host() == null && c.port() == null && c.path() == null) {
      problems.add("", "nothing changes; expected scheme, host, port or path (a redirect to the same URL would loop)");
    }
  }

  @Override
  public Filter create(RedirectConfig c, FilterEnvironment env) {
    int status = c.status();
    boolean keepAuthority = c.scheme() == null && c.host() == null && c.port() == null;
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        Request r = x.request();
        StringBuilder location = new StringBuilder(64);
        location.append(c.scheme() != null ? c.scheme() : r.scheme()).append("://");
        if (keepAuthority) {
          location.append(r.authority().isEmpty() ? r.host() : r.authority().toLowerCase(Locale.ROOT));
        } else {
          location.append(c.host() != null ? c.host() : hostPart(r));
          if (c.port() != null) location.append(':').append(c.port());
        }
        location.append(c.path() != null ? c.path() : r.path());
        String q = r.query();
        if (q != null) location.append('?').append(q);
        return FilterResult.respond("redirect", LocalResponse.builder(status).header("Location", location.toString()).build());
      }
    };
  }

  /** The request's host name as it is written in a URL: an IPv6 literal in brackets. */
  private static String hostPart(Request r) {
    String h = r.host();
    return h.indexOf(':') >= 0 && !h.startsWith("[") ? "[" + h + "]" : h;
  }
}
