package io.sluice.api.listener;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * HTTPS on a Listener: the certificates it serves, chosen by the name the client asks for (SNI).
 *
 * <pre>{@code
 * tls:
 *   certificates:
 *     - {secret: web-cert, hosts: [a.example, "*.b.example"]}
 *     - {secret: fallback-cert}        # no hosts: the default
 *   minVersion: TLS1.2
 *   maxVersion: TLS1.3
 *   alpn: [http/1.1]
 * }</pre>
 *
 * @param certificates at least one; the entry without {@code hosts} is the default (for clients that
 *     send no SNI or a name no entry lists), else the first
 * @param minVersion {@code TLS1.2} (default) or {@code TLS1.3}; TLS 1.0 and 1.1 are refused
 * @param maxVersion {@code TLS1.3} (default) or {@code TLS1.2}, at least {@code minVersion}: nginx's
 *     {@code ssl_protocols} and Envoy's {@code tls_maximum_protocol_version}, for clients that
 *     misbehave with TLS 1.3 or to compare like with like against a TLS 1.2 peer
 * @param alpn superseded by the listener's {@code spec.protocols}, which decides what ALPN offers ({@code h2}, {@code http/1.1}); accepted for older configs (default {@code [http/1.1]})
 * @param clientAuth client certificates (mTLS); left out means none are asked for
 */
public record ListenerTls(List<Certificate> certificates, String minVersion, String maxVersion, List<String> alpn,
    @Nullable ClientAuth clientAuth) {
  public static final String TLS12 = "TLS1.2";
  public static final String TLS13 = "TLS1.3";

  public ListenerTls {
    certificates = certificates == null ? List.of() : List.copyOf(certificates);
    minVersion = minVersion == null ? TLS12 : minVersion;
    maxVersion = maxVersion == null ? TLS13 : maxVersion;
    alpn = alpn == null ? List.of("http/1.1") : List.copyOf(alpn);
  }

  /**
   * @param secret the Secret holding the certificate and key
   * @param hosts names it is served for: exact ({@code a.example}) or one wildcard label
   *     ({@code *.b.example}, matching {@code x.b.example} only); empty for the default
   */
  public record Certificate(@Nullable String secret, List<String> hosts) {
    public Certificate {
      hosts = hosts == null ? List.of() : List.copyOf(hosts);
    }
  }

  /** HTTPS without client certificates. */
  public ListenerTls(List<Certificate> certificates, String minVersion, List<String> alpn) {
    this(certificates, minVersion, TLS13, alpn, null);
  }

  /**
   * Client certificates, verified against a CA bundle during the handshake.
   *
   * @param ca the Secret whose {@code ca} holds the CA certificates
   * @param mode {@code required} (default: a client without a valid certificate fails the handshake)
   *     or {@code optional} (a client without one proceeds, with no identity; one with an invalid
   *     one still fails)
   * @param allow when not empty, a verified certificate must also have one of these as its subject
   *     (RFC 2253, {@code CN=client,O=Example}) or as a subjectAltName (DNS, URI, e-mail), else the
   *     handshake fails with a {@code certificate_unknown} alert, as Envoy's SAN matchers do
   */
  public record ClientAuth(@Nullable String ca, String mode, List<String> allow) {
    public static final String REQUIRED = "required";
    public static final String OPTIONAL = "optional";

    public ClientAuth {
      mode = mode == null ? REQUIRED : mode;
      allow = allow == null ? List.of() : List.copyOf(allow);
    }
  }

  /** The default certificate: the one without hosts, else the first. */
  public Certificate defaultCertificate() {
    for (Certificate c : certificates) {
      if (c.hosts().isEmpty()) return c;
    }
    return certificates.getFirst();
  }
}
