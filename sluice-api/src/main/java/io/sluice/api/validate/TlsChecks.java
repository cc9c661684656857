package io.sluice.api.validate;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.listener.ListenerTls;
import io.sluice.api.secret.SecretMaterial;
import io.sluice.api.secret.SecretSpec;
import io.sluice.api.upstream.UpstreamTls;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The checks of Secrets and of Listeners' and Upstreams' {@code spec.tls}, for {@link Validator}: a
 * Secret's PEM parses, its key matches, its certificates are valid now ({@link SecretMaterial#load});
 * a Listener's certificates name Secrets that hold a certificate whose subjectAltNames cover the
 * hosts it is chosen for; an Upstream's Secrets hold a CA bundle and a certificate with its key.
 * Each Secret is read once per validation. One instance per validation.
 */
final class TlsChecks {
  private static final Pattern HOST = Pattern.compile("(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  private final List<ConfigError> errors;
  private final PathPolicy paths;
  private final Map<String, ConfigObject<?>> byRef;
  /** Secret name → its material, or null when it does not load (its errors are the Secret's). */
  private final Map<String, @Nullable SecretMaterial> loaded = new HashMap<>();

  TlsChecks(List<ConfigError> errors, PathPolicy paths, Map<String, ConfigObject<?>> byRef) {
    this.errors = errors;
    this.paths = paths;
    this.byRef = byRef;
  }

  void secret(ConfigObject<?> secret) {
    try {
      SecretMaterial m = SecretMaterial.load((SecretSpec) secret.spec(), paths);
      loaded.put(secret.name(), m);
    } catch (SecretMaterial.Problem p) {
      loaded.put(secret.name(), null);
      error(secret, p.field(), String.valueOf(p.getMessage()));
    }
  }

  void listener(ConfigObject<?> listener, ListenerTls tls, BiPredicate<Kind, String> exists) {
    if (tls.certificates().isEmpty()) {
      error(listener, "spec.tls.certificates", "empty; expected at least one {secret: NAME, hosts: [...]}");
    }
    if (!tls.minVersion().equals(ListenerTls.TLS12) && !tls.minVersion().equals(ListenerTls.TLS13)) {
      String v = tls.minVersion();
      error(listener, "spec.tls.minVersion", v.equals("TLS1.0") || v.equals("TLS1.1")
          ? v + " is refused (broken, RFC 8996); expected TLS1.2 or TLS1.3"
          : "unknown version '" + v + "'; expected TLS1.2 or TLS1.3");
    }
    if (!tls.maxVersion().equals(ListenerTls.TLS12) && !tls.maxVersion().equals(ListenerTls.TLS13)) {
      String v = tls.maxVersion();
      error(listener, "spec.tls.maxVersion", v.equals("TLS1.0") || v.equals("TLS1.1")
          ? v + " is refused (broken, RFC 8996); expected TLS1.2 or TLS1.3"
          : "unknown version '" + v + "'; expected TLS1.2 or TLS1.3");
    } else if (tls.minVersion().equals(ListenerTls.TLS13) && tls.maxVersion().equals(ListenerTls.TLS12)) {
      error(listener, "spec.tls.maxVersion", "TLS1.2 is below minVersion TLS1.3; expected TLS1.3 or a lower minVersion");
    }
    if (tls.alpn().isEmpty()) error(listener, "spec.tls.alpn", "empty; expected [http/1.1] or leave it out");
    for (int i = 0; i < tls.alpn().size(); i++) {
      if (!tls.alpn().get(i).equals("http/1.1") && !tls.alpn().get(i).equals("h2")) {
        error(listener, "spec.tls.alpn[" + i + "]", "unsupported protocol '" + tls.alpn().get(i)
            + "'; expected http/1.1 or h2 (spec.protocols decides what ALPN offers)");
      }
    }
    ListenerTls.ClientAuth auth = tls.clientAuth();
    if (auth != null) clientAuth(listener, auth, exists);
    int defaults = 0;
    Set<String> hostsSeen = new HashSet<>();
    for (int i = 0; i < tls.certificates().size(); i++) {
      ListenerTls.Certificate c = tls.certificates().get(i);
      String field = "spec.tls.certificates[" + i + "]";
      if (c.hosts().isEmpty() && ++defaults > 1) {
        error(listener, field + ".hosts", "missing, and so is another entry's; expected one default certificate (without hosts) at most");
      }
      for (int h = 0; h < c.hosts().size(); h++) {
        String host = c.hosts().get(h);
        if (!HOST.matcher(host).matches()) {
          error(listener, field + ".hosts[" + h + "]", "invalid host name '" + host + "'; expected lower-case a.example or *.b.example");
        } else if (!hostsSeen.add(host)) {
          error(listener, field + ".hosts[" + h + "]", "'" + host + "' is listed by an earlier certificate too; expected each host once");
        }
      }
      String name = c.secret();
      if (name == null || name.isEmpty()) {
        error(listener, field + ".secret", "missing; expected the name of a Secret");
        continue;
      }
      if (!exists.test(Kind.SECRET, name)) {
        error(listener, field + ".secret", "Secret '" + name + "' does not exist");
        continue;
      }
      SecretMaterial m = material(name);
      if (m == null) continue;
      if (m.chain().isEmpty()) {
        error(listener, field + ".secret", "Secret '" + name + "' holds no certificate (only a CA bundle); expected certificate and privateKey");
        continue;
      }
      for (int h = 0; h < c.hosts().size(); h++) {
        String host = c.hosts().get(h).toLowerCase(Locale.ROOT);
        if (!m.covers(host)) {
          error(listener, field + ".hosts[" + h + "]", "Secret '" + name + "''s certificate (" + m.leaf().getSubjectX500Principal().getName()
              + ") has no subjectAltName for " + host + "; it has " + m.names());
        }
      }
    }
  }

  /**
   * An Upstream's {@code spec.tls}: the Secrets it names exist and hold what they are used for (a
   * CA bundle, a certificate with its key), the version is known, the server name is a host name.
   * Checked whether or not it is enabled, so that enabling it later cannot fail on what was accepted.
   */
  void upstream(ConfigObject<?> upstream, UpstreamTls tls, BiPredicate<Kind, String> exists) {
    if (tls.normalisedMinVersion() == null) {
      String v = tls.minVersion();
      error(upstream, "spec.tls.minVersion", v.matches("TLSv?1\\.[01]")
          ? v + " is refused (broken, RFC 8996); expected TLS1.2 or TLS1.3"
          : "unknown version '" + v + "'; expected TLS1.2 or TLS1.3");
    }
    String serverName = tls.serverName();
    if (serverName != null && (serverName.length() > 253 || serverName.startsWith("*.") || !HOST.matcher(serverName).matches())) {
      error(upstream, "spec.tls.serverName", "invalid server name '" + serverName + "'; expected a lower-case DNS name such as api.internal");
    }
    String ca = tls.caSecret();
    if (ca != null) {
      SecretMaterial m = named(upstream, "spec.tls.caSecret", ca, exists);
      if (m != null && m.ca().isEmpty()) {
        error(upstream, "spec.tls.caSecret", "Secret '" + ca + "' has no ca; expected a Secret with spec.tls.ca or caFile");
      }
    }
    String client = tls.clientCertificate();
    if (client != null) {
      SecretMaterial m = named(upstream, "spec.tls.clientCertificate", client, exists);
      if (m != null && m.chain().isEmpty()) {
        error(upstream, "spec.tls.clientCertificate", "Secret '" + client + "' holds no certificate (only a CA bundle); expected certificate and privateKey");
      }
    }
  }

  /** The material of the Secret {@code name} that {@code field} names; null (with an error if it is missing) when there is none. */
  private @Nullable SecretMaterial named(ConfigObject<?> o, String field, String name, BiPredicate<Kind, String> exists) {
    if (name.isEmpty()) {
      error(o, field, "empty; expected the name of a Secret");
      return null;
    }
    if (!exists.test(Kind.SECRET, name)) {
      error(o, field, "Secret '" + name + "' does not exist");
      return null;
    }
    return material(name);
  }

  private void clientAuth(ConfigObject<?> listener, ListenerTls.ClientAuth auth, BiPredicate<Kind, String> exists) {
    if (!auth.mode().equals(ListenerTls.ClientAuth.REQUIRED) && !auth.mode().equals(ListenerTls.ClientAuth.OPTIONAL)) {
      error(listener, "spec.tls.clientAuth.mode", "unknown mode '" + auth.mode() + "'; expected required or optional");
    }
    for (int i = 0; i < auth.allow().size(); i++) {
      if (auth.allow().get(i).isBlank()) error(listener, "spec.tls.clientAuth.allow[" + i + "]", "empty; expected a subject such as CN=client or a subjectAltName");
    }
    String ca = auth.ca();
    if (ca == null || ca.isEmpty()) {
      error(listener, "spec.tls.clientAuth.ca", "missing; expected the name of a Secret with a ca bundle");
    } else if (!exists.test(Kind.SECRET, ca)) {
      error(listener, "spec.tls.clientAuth.ca", "Secret '" + ca + "' does not exist");
    } else {
      SecretMaterial m = material(ca);
      if (m != null && m.ca().isEmpty()) {
        error(listener, "spec.tls.clientAuth.ca", "Secret '" + ca + "' has no ca; expected a Secret with spec.tls.ca or caFile");
      }
    }
  }

  /** The material of Secret {@code name}, loading it if its Secret was not met yet; null when it does not load. */
  private @Nullable SecretMaterial material(String name) {
    if (loaded.containsKey(name)) return loaded.get(name);
    ConfigObject<?> o = byRef.get(Kind.SECRET.displayName() + "/" + name);
    SecretMaterial m = null;
    if (o != null) {
      try {
        m = SecretMaterial.load((SecretSpec) o.spec(), paths);
      } catch (SecretMaterial.Problem p) {
        // Reported when the Secret itself is checked.
      }
    }
    loaded.put(name, m);
    return m;
  }

  private void error(ConfigObject<?> o, String field, String message) {
    errors.add(new ConfigError(o.sourceOf(field), o.ref(), field, message));
  }
}
