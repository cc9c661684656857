package io.sluice.admin;

import io.sluice.admin.internal.BrowserGuard;
import java.util.List;
import java.util.Objects;

/**
 * Which {@code Host} names and browser {@code Origin}s the admin API accepts besides its own
 * (docs/security.md, "The admin API's threat model").
 *
 * <p>Values are checked and normalised when the record is made: hosts lower-case, IPv6 addresses
 * compressed in brackets ({@code [::1]}); origins as a browser serialises them
 * ({@code scheme://host[:port]}, lower-case, without the scheme's default port).
 *
 * @param allowedHosts names (or IP addresses) accepted in {@code Host} in addition to the loopback
 *     names and the address a connection came in on; on a non-loopback listener, giving any turns
 *     the {@code Host} check on
 * @param allowedOrigins browser origins ({@code https://console.example.com}) accepted in
 *     {@code Origin} in addition to the admin API's own, also when the browser says the request is
 *     cross-site
 */
public record AdminAccess(List<String> allowedHosts, List<String> allowedOrigins) {
  /** Only the admin API's own origin and, on loopback, the loopback names. */
  public static final AdminAccess DEFAULT = new AdminAccess(List.of(), List.of());

  /**
   * @throws IllegalArgumentException naming the value when a host is not a host name or IP address
   *     without a port, or an origin is not {@code http(s)://host[:port]} without a path
   */
  public AdminAccess {
    allowedHosts = allowedHosts.stream().map(AdminAccess::host).distinct().toList();
    allowedOrigins = allowedOrigins.stream().map(AdminAccess::origin).distinct().toList();
  }

  private static String host(String value) {
    String h = BrowserGuard.host(Objects.requireNonNull(value, "allowed host"));
    if (h == null) {
      throw new IllegalArgumentException("invalid allowed admin host '" + value
          + "': expected a host name or IP address without scheme or port, such as admin.example.com or 10.0.0.5");
    }
    return h;
  }

  private static String origin(String value) {
    String o = BrowserGuard.origin(Objects.requireNonNull(value, "allowed origin"));
    if (o == null) {
      throw new IllegalArgumentException("invalid allowed admin origin '" + value
          + "': expected scheme://host[:port] with scheme http or https and no path, such as https://console.example.com");
    }
    return o;
  }
}
