package io.sluice.api.validate;

import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Host names, IP literals and {@code host:port} addresses as config writes them. The checks return
 * what is wrong (a message fragment) or null, so that the caller decides which field to name.
 */
final class Hosts {
  /** A DNS label; '_' is allowed because service names ({@code _http._tcp}) and some internal hosts use it. */
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[-A-Za-z0-9_.]+)?");

  /** A bound address, host lower-cased and without IPv6 brackets. */
  record HostPort(String host, int port) {
    /** Whether binding this address takes the port on every interface. */
    boolean isWildcard() {
      return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }

    /** Whether the OS picks the port each time the address is bound (port 0), so it never clashes. */
    boolean isAnyPort() {
      return port == 0;
    }

    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  private Hosts() {}

  /** A listen address ({@code host:port}, port 0 to 65535), or null when {@code value} is not one. */
  static @Nullable HostPort parseListenAddress(String value) {
    return problemWithListenAddress(value) == null ? split(value) : null;
  }

  /** What is wrong with {@code value} as {@code host:port} to connect to (port 1 to 65535), or null. */
  static @Nullable String problemWithHostPort(String value) {
    return problemWithHostPort(value, 1);
  }

  /**
   * What is wrong with {@code value} as {@code host:port} to listen on, or null. Port 0 is allowed:
   * the OS picks a free port each time the address is bound (for tests and demos).
   */
  static @Nullable String problemWithListenAddress(String value) {
    return problemWithHostPort(value, 0);
  }

  /** What is wrong with {@code value} as {@code host:port} (IPv6 as {@code [::1]:8080}) with a port from {@code minPort}, or null. */
  private static @Nullable String problemWithHostPort(String value, int minPort) {
    HostPort hp = split(value);
    if (hp == null) return "expected host:port such as 127.0.0.1:8080 (IPv6 as [::1]:8080), got '" + value + "'";
    String hostProblem = problemWithHost(hp.host(), value.startsWith("["));
    if (hostProblem != null) return hostProblem + " in '" + value + "'";
    if (hp.port() < minPort || hp.port() > 65535) {
      return "port must be " + minPort + " to 65535, got " + hp.port() + " in '" + value + "'";
    }
    return null;
  }

  /** What is wrong with {@code value} as a host with an optional port, or null. */
  static @Nullable String problemWithHostAndOptionalPort(String value) {
    boolean hasPort = value.startsWith("[") ? value.indexOf("]:") > 0 : value.indexOf(':') >= 0;
    if (hasPort) return problemWithHostPort(value);
    if (value.startsWith("[")) {
      return value.endsWith("]") ? problemWithHost(value.substring(1, value.length() - 1), true) : "unclosed '[' in '" + value + "'";
    }
    return problemWithHost(value, false);
  }

  /**
   * What is wrong with {@code value} as the host a route matches (a host name, an IP address, or
   * {@code *.} followed by a domain), or null.
   */
  static @Nullable String problemWithRouteHost(String value) {
    if (value.startsWith("[") && value.endsWith("]")) return problemWithHost(value.substring(1, value.length() - 1), true);
    if (value.indexOf(':') >= 0) return "a route host has no port, got '" + value + "'";
    String name = value.startsWith("*.") ? value.substring(2) : value;
    if (name.indexOf('*') >= 0) {
      return "a wildcard must be a leading '*.' followed by a domain such as *.example.com, got '" + value + "'";
    }
    String problem = problemWithHost(name, false);
    return problem == null ? null : problem + (name.equals(value) ? "" : " in '" + value + "'");
  }

  /**
   * What is wrong with {@code host} as a host name or IP address, or null.
   *
   * @param bracketed whether it was written in brackets, the only way an IPv6 address may be written
   */
  private static @Nullable String problemWithHost(String host, boolean bracketed) {
    if (bracketed) {
      return IPV6.matcher(host).matches() ? null : "expected an IPv6 address inside [ ], got '" + host + "'";
    }
    if (host.indexOf(':') >= 0) return "an IPv6 address must be written in brackets such as [::1], got '" + host + "'";
    String expected = "expected a host name such as api.example.com or an IPv4 address, got '" + host + "'";
    if (host.isEmpty() || host.length() > 253) return expected;
    String[] labels = host.split("\\.", -1);
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) return expected;
    }
    // No top-level domain is all digits, so a name that ends in one is meant as an IPv4 address.
    if (DIGITS.matcher(labels[labels.length - 1]).matches()) {
      boolean ipv4 = labels.length == 4;
      for (String label : labels) {
        ipv4 &= DIGITS.matcher(label).matches() && label.length() <= 3 && Integer.parseInt(label) <= 255;
      }
      if (!ipv4) return "expected an IPv4 address such as 10.0.0.1, got '" + host + "'";
    }
    return null;
  }

  /** Splits at the last colon; null when there is no numeric port. */
  private static @Nullable HostPort split(String value) {
    int colon = value.lastIndexOf(':');
    if (colon < 0 || colon == value.length() - 1) return null;
    String port = value.substring(colon + 1);
    if (!DIGITS.matcher(port).matches() || port.length() > 9) return null;
    String host = value.substring(0, colon);
    if (host.startsWith("[")) {
      if (!host.endsWith("]") || host.length() < 3) return null;
      host = host.substring(1, host.length() - 1);
    } else if (host.isEmpty()) {
      return null;
    }
    return new HostPort(host.toLowerCase(Locale.ROOT), Integer.parseInt(port));
  }
}
