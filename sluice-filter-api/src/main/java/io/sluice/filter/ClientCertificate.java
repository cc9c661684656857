package io.sluice.filter;

import java.util.List;
import java.util.Objects;

/**
 * The certificate a client presented and the listener verified (mTLS, {@code spec.tls.clientAuth}):
 * set as {@link Attributes#CLIENT_CERTIFICATE} on each exchange of that connection, logged as the
 * access log's {@code clientCert}, and forwarded upstream in {@code X-Forwarded-Client-Cert}.
 *
 * @param subject the subject's distinguished name (RFC 4514), e.g. {@code CN=alice,O=Example}
 * @param dnsNames the DNS subjectAltNames, in certificate order
 * @param uris the URI subjectAltNames (a SPIFFE id, say), in certificate order
 * @param sha256 the SHA-256 of the certificate's DER encoding, lower-case hex
 */
public record ClientCertificate(String subject, List<String> dnsNames, List<String> uris, String sha256) {
  public ClientCertificate {
    Objects.requireNonNull(subject, "subject");
    dnsNames = List.copyOf(dnsNames);
    uris = List.copyOf(uris);
    Objects.requireNonNull(sha256, "sha256");
  }
}
