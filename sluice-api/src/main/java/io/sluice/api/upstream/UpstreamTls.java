package io.sluice.api.upstream;

import org.jspecify.annotations.Nullable;

/**
 * TLS from the gateway to an upstream's endpoints (HTTPS upstreams).
 *
 * <pre>{@code
 * tls:
 *   caSecret: backend-ca            # verify against this CA bundle; default the system roots
 *   serverName: api.internal        # SNI and the name verified; default the endpoint's host name
 *   clientCertificate: gw-client    # mTLS: a Secret with certificate and privateKey
 *   minVersion: TLS1.3              # default TLS1.2
 * }</pre>
 *
 * <p>The certificate chain and the host name are verified unless {@code insecureSkipVerify} is set.
 * ALPN offers {@code http/1.1}.
 *
 * @param enabled whether connections use TLS (default true: {@code tls: {}} is enough)
 * @param caSecret the Secret whose {@code ca} the upstream's certificate is verified against; left
 *     out, the JVM's system roots (the {@code cacerts} trust store)
 * @param serverName the name sent in SNI and verified against the certificate's subjectAltNames;
 *     default the endpoint's host when it is a DNS name; an endpoint given as an IP address sends no
 *     SNI and is verified against the certificate's IP subjectAltNames
 * @param insecureSkipVerify do not verify the chain nor the name (default false): the connection is
 *     encrypted but anyone on the path can impersonate the upstream; for tests only
 * @param clientCertificate the Secret whose certificate and private key are presented when the
 *     upstream asks for a client certificate; none when left out
 * @param minVersion {@code TLS1.2} (default) or {@code TLS1.3} ({@code TLSv1.2} and {@code TLSv1.3}
 *     are accepted too); TLS 1.0 and 1.1 are refused
 */
public record UpstreamTls(Boolean enabled, @Nullable String caSecret, @Nullable String serverName,
    Boolean insecureSkipVerify, @Nullable String clientCertificate, String minVersion) {
  public static final String TLS12 = "TLS1.2";
  public static final String TLS13 = "TLS1.3";

  public UpstreamTls {
    enabled = enabled == null ? Boolean.TRUE : enabled;
    insecureSkipVerify = insecureSkipVerify == null ? Boolean.FALSE : insecureSkipVerify;
    minVersion = minVersion == null ? TLS12 : minVersion;
  }

  /** {@code minVersion} as {@link #TLS12} or {@link #TLS13}, or null when it is neither (validation refuses it). */
  public @Nullable String normalisedMinVersion() {
    return switch (minVersion) {
      case TLS12, "TLSv1.2" -> TLS12;
      case TLS13, "TLSv1.3" -> TLS13;
      default -> null;
    };
  }
}
