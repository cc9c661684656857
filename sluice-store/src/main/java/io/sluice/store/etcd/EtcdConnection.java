package io.sluice.store.etcd;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Where an {@link EtcdConfigStore} keeps its configuration: the etcd members to talk to, the key
 * prefix of this gateway cluster, and how to authenticate.
 *
 * @param endpoints the etcd members' client URLs ({@code http://host:port}, {@code https://} with a CA)
 * @param prefix every key the store writes starts with it, such as {@code /sluice/prod}; one prefix is
 *     one gateway cluster's configuration
 * @param user etcd user name (etcd's own authentication), or null
 * @param password that user's password, or null; never shown by {@link #toString()}
 * @param caFile PEM file of the CA that signed the etcd members' certificates: TLS to etcd; null for plain TCP
 * @param timeout how long one etcd request may take before the store call fails with a
 *     {@link io.sluice.store.StoreException}
 */
public record EtcdConnection(List<URI> endpoints, String prefix, @Nullable String user, @Nullable String password,
    @Nullable Path caFile, Duration timeout) {
  /** How long one etcd request may take unless told otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final String SCHEME = "etcd://";
  private static final String EXPECTED = "expected etcd://host:port[,host:port...]/prefix, such as etcd://127.0.0.1:2379/sluice/prod";
  private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+):([0-9]{1,5})");
  private static final Pattern PREFIX = Pattern.compile("(/[A-Za-z0-9._-]+)+");

  public EtcdConnection {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) throw new IllegalArgumentException("endpoints: expected at least one etcd member, got none");
    Objects.requireNonNull(prefix, "prefix");
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("prefix '" + prefix + "': expected /segment[/segment...] of letters, digits, '.', '_' and '-'");
    }
    if ((user == null) != (password == null)) {
      throw new IllegalArgumentException("user and password: expected both or neither, got only the " + (user == null ? "password" : "user"));
    }
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout: expected a positive duration, got " + timeout);
  }

  /**
   * Reads {@code etcd://host:port[,host:port...]/prefix}: no user, no TLS, the default timeout
   * (see {@link #withCredentials} and {@link #withCa}).
   *
   * @throws IllegalArgumentException naming the value and what was expected
   */
  public static EtcdConnection parse(String url) {
    Objects.requireNonNull(url, "url");
    if (!url.startsWith(SCHEME)) throw new IllegalArgumentException("'" + url + "': " + EXPECTED);
    String rest = url.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    if (slash < 0) throw new IllegalArgumentException("'" + url + "' has no prefix: " + EXPECTED);
    String prefix = rest.substring(slash);
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("'" + url + "': the prefix '" + prefix
          + "' must be /segment[/segment...] of letters, digits, '.', '_' and '-' (" + EXPECTED + ")");
    }
    List<URI> endpoints = new ArrayList<>();
    for (String hostPort : rest.substring(0, slash).split(",", -1)) {
      var m = HOST_PORT.matcher(hostPort);
      int port = m.matches() ? Integer.parseInt(m.group(2)) : -1;
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("'" + url + "': '" + hostPort + "' is not host:port with a port from 1 to 65535 (" + EXPECTED + ")");
      }
      endpoints.add(URI.create("http://" + hostPort));
    }
    return new EtcdConnection(endpoints, prefix, null, null, null, DEFAULT_TIMEOUT);
  }

  /** This connection authenticating to etcd as {@code user}. */
  public EtcdConnection withCredentials(String user, String password) {
    return new EtcdConnection(endpoints, prefix, user, password, caFile, timeout);
  }

  /** This connection over TLS, trusting the CA in {@code caFile} (PEM); the endpoints become {@code https://}. */
  public EtcdConnection withCa(Path caFile) {
    List<URI> https = endpoints.stream().map(u -> URI.create("https://" + u.getRawAuthority())).toList();
    return new EtcdConnection(https, prefix, user, password, caFile, timeout);
  }

  /** This connection with another request timeout. */
  public EtcdConnection withTimeout(Duration timeout) {
    return new EtcdConnection(endpoints, prefix, user, password, caFile, timeout);
  }

  /** {@code etcd://host:port,.../prefix}, as {@link #parse} reads it. */
  public String url() {
    return SCHEME + String.join(",", endpoints.stream().map(URI::getRawAuthority).toList()) + prefix;
  }

  @Override
  public String toString() {
    return url() + (user != null ? " as " + user : "") + (caFile != null ? " (TLS, CA " + caFile + ")" : "");
  }
}
