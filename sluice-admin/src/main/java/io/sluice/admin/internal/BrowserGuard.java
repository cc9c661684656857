package io.sluice.admin.internal;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.NetUtil;
import io.sluice.admin.AdminAccess;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Refuses the requests a web page can make a browser send to the admin API (docs/security.md, "The
 * admin API's threat model"). With no tokens, the default on loopback, the browser of an operator
 * who visits a hostile page is otherwise an editor:
 *
 * <ul>
 *   <li>{@code Host} (DNS rebinding): on a loopback listener, or on any listener once allowed hosts
 *       are configured, {@code Host} must name a loopback name ({@code localhost}, {@code 127.0.0.1},
 *       {@code [::1]}), the address the connection came in on, or an allowed host. A rebound name
 *       makes the page same-origin with the admin API, so only the name it uses betrays it.
 *   <li>{@code Origin}: when present, the admin API's own origin ({@code http://} + {@code Host})
 *       or an allowed origin. {@code Origin: null} (sandboxed frames, {@code file:} pages) is refused.
 *   <li>{@code Sec-Fetch-Site}: {@code cross-site} and {@code same-site} are refused unless the
 *       {@code Origin} is an allowed one. On loopback every local port is the same site, so a page
 *       the data plane serves is {@code same-site} with the admin API.
 *   <li>Content type: POST, PUT and PATCH need exactly one {@code Content-Type}, JSON or YAML. An HTML
 *       form (or a fetch without preflight) can only send {@code text/plain},
 *       {@code application/x-www-form-urlencoded}, {@code multipart/form-data} or no type at all;
 *       a body-less POST has no type either, so no POST changes anything through its query alone.
 *       DELETE has no body: a browser sends it only same-origin (stopped by the {@code Host} check)
 *       or after a CORS preflight, which the admin API never grants (OPTIONS is an error, without
 *       {@code Access-Control-*} headers).
 * </ul>
 *
 * Every refusal is a 403 whose {@code reason} names the rule ({@code host}, {@code origin},
 * {@code fetch_site}, {@code content_type}) and whose message says how to allow a legitimate caller.
 *
 * <p>Immutable; thread-safe. Runs once per request on the admin API's request threads.
 */
public final class BrowserGuard {
  private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");
  private static final Set<HttpMethod> WITH_BODY = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);
  private static final Set<String> SAFE_FETCH_SITES = Set.of("same-origin", "none");
  private static final Pattern HOST_NAME = Pattern.compile("[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*");
  private static final String SEC_FETCH_SITE = "Sec-Fetch-Site";

  private final boolean checkHost;
  private final Set<String> allowedHosts;
  private final Set<String> allowedOrigins;

  /**
   * @param loopbackListener whether the admin API listens on a loopback address: the {@code Host}
   *     check then always applies; elsewhere only when {@code access} allows hosts
   */
  public BrowserGuard(AdminAccess access, boolean loopbackListener) {
    this.checkHost = loopbackListener || !access.allowedHosts().isEmpty();
    this.allowedHosts = Set.copyOf(access.allowedHosts());
    this.allowedOrigins = Set.copyOf(access.allowedOrigins());
  }

  /**
   * Checks where the request comes from: {@code Host}, {@code Origin} and {@code Sec-Fetch-Site}.
   *
   * @param local the address the connection came in on (the listener's, or the real one of a wildcard listener)
   * @throws ApiError 403 naming the rule that refused
   */
  public void checkSource(HttpHeaders headers, InetSocketAddress local) {
    List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
    @Nullable String authority = hosts.size() == 1 ? authority(hosts.getFirst()) : null;
    if (checkHost) checkHost(hosts, authority, local);

    List<String> origins = headers.getAll(HttpHeaderNames.ORIGIN);
    boolean allowedOrigin = false;
    if (!origins.isEmpty()) {
      String sent = origins.size() == 1 ? origins.getFirst().strip() : String.join(", ", origins);
      @Nullable String origin = origins.size() == 1 ? origin(sent) : null;
      allowedOrigin = origin != null && allowedOrigins.contains(origin);
      boolean own = origin != null && authority != null && origin.equals("http://" + authority);
      if (!own && !allowedOrigin) {
        throw ApiError.refused("origin", "Origin '" + sent + "' is not this admin API's own origin"
            + (authority == null ? "" : " (http://" + authority + ")")
            + ": a web page on another origin may not call the admin API. To allow a browser console on that origin,"
            + " start sluice serve with --admin-allowed-origins " + (origin == null ? "ORIGIN" : origin));
      }
    }

    String site = headers.get(SEC_FETCH_SITE);
    if (site != null && !SAFE_FETCH_SITES.contains(site.strip().toLowerCase(Locale.ROOT)) && !allowedOrigin) {
      throw ApiError.refused("fetch_site", "Sec-Fetch-Site: " + site.strip() + ": the browser says a page on another site"
          + " sent this request, and only a page on an allowed origin may call the admin API. To allow a browser"
          + " console, start sluice serve with --admin-allowed-origins ORIGIN");
    }
  }

  private void checkHost(List<String> hosts, @Nullable String authority, InetSocketAddress local) {
    if (hosts.size() != 1) {
      throw ApiError.refused("host", (hosts.isEmpty() ? "the request has no Host header" : "the request has " + hosts.size()
          + " Host headers") + "; this admin API needs exactly one, naming " + accepted(local));
    }
    String host = authority == null ? null : stripPort(authority);
    if (host == null || !(LOOPBACK_NAMES.contains(host) || host.equals(literal(local.getAddress())) || allowedHosts.contains(host))) {
      throw ApiError.refused("host", "Host '" + hosts.getFirst().strip() + "' is not a name of this admin API (accepted: "
          + accepted(local) + "); a web page can reach a local admin API under its own name through DNS rebinding."
          + " To allow the name, start sluice serve with --admin-allowed-hosts " + (host == null ? "NAME" : host));
    }
  }

  private String accepted(InetSocketAddress local) {
    Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "[::1]"));
    names.add(literal(local.getAddress()));
    names.addAll(allowedHosts.stream().sorted().toList());
    return String.join(", ", names);
  }

  /**
   * Checks that a request that may change something (POST, PUT, PATCH) carries a JSON or YAML body
   * type; other methods pass.
   *
   * @throws ApiError 403 (reason {@code content_type})
   */
  public void checkContentType(HttpMethod method, String path, HttpHeaders headers) {
    if (!WITH_BODY.contains(method)) return;
    List<String> types = headers.getAll(HttpHeaderNames.CONTENT_TYPE);
    if (types.size() == 1 && Wire.isBodyType(types.getFirst())) return;
    String got = types.isEmpty() ? "none" : "'" + String.join(", ", types) + "'";
    throw ApiError.refused("content_type", method + " " + path + " needs Content-Type: application/json or application/yaml"
        + " (with a body in that format), got " + got + ". Plain text, form and multipart bodies and body-less POSTs"
        + " are refused because an HTML form on any web page can send them");
  }

  /** {@code host[:port]} of a {@code Host} value, lower-case, IPv6 compressed in brackets, without port 80; null when malformed. */
  private static @Nullable String authority(String hostHeader) {
    String v = hostHeader.strip().toLowerCase(Locale.ROOT);
    String host;
    String port = "";
    if (v.startsWith("[")) {
      int end = v.indexOf(']');
      if (end < 0) return null;
      host = v.substring(0, end + 1);
      port = v.substring(end + 1);
    } else {
      int colon = v.indexOf(':');
      host = colon < 0 ? v : v.substring(0, colon);
      port = colon < 0 ? "" : v.substring(colon);
    }
    host = host(host);
    if (host == null) return null;
    if (!port.isEmpty()) {
      if (port.length() < 2 || port.length() > 6 || !port.substring(1).chars().allMatch(c -> c >= '0' && c <= '9')) return null;
      if (port.equals(":80")) port = "";
    }
    return host + port;
  }

  private static @Nullable String stripPort(String authority) {
    int end = authority.startsWith("[") ? authority.indexOf(']') + 1 : authority.indexOf(':');
    return end <= 0 ? authority : authority.substring(0, end);
  }

  /**
   * A host name or IP address as a browser puts it in {@code Host} and {@code Origin}: lower-case,
   * IPv6 compressed (RFC 5952) in brackets; null when it is neither.
   */
  public static @Nullable String host(String value) {
    String h = value.strip().toLowerCase(Locale.ROOT);
    String bare = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    if (bare.contains(":")) {
      if (!NetUtil.isValidIpV6Address(bare) || bare.contains("%")) return null;
      byte[] bytes = NetUtil.createByteArrayFromIpAddressString(bare);
      if (bytes == null) return null;
      try {
        return literal(InetAddress.getByAddress(bytes));
      } catch (UnknownHostException e) {
        return null;
      }
    }
    return HOST_NAME.matcher(h).matches() ? h : null;
  }

  /**
   * An origin as a browser serialises it: {@code scheme://host[:port]}, lower-case, without the
   * scheme's default port; null when it is not an http or https origin (such as {@code null}).
   */
  public static @Nullable String origin(String value) {
    URI u;
    try {
      u = new URI(value.strip());
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getRawUserInfo() != null
        || !(u.getRawPath() == null || u.getRawPath().isEmpty()) || u.getRawQuery() != null || u.getRawFragment() != null) {
      return null;
    }
    String host = host(u.getHost());
    if (host == null) return null;
    int port = u.getPort();
    boolean defaultPort = port == -1 || scheme.equals("http") && port == 80 || scheme.equals("https") && port == 443;
    return scheme + "://" + host + (defaultPort ? "" : ":" + port);
  }

  /** An address as it appears in {@code Host}: IPv4 dotted, IPv6 compressed in brackets. */
  private static String literal(InetAddress a) {
    String s = NetUtil.toAddressString(a);
    return s.contains(":") ? "[" + s + "]" : s;
  }
}
