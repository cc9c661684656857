package io.sluice.proxy.tls.internal;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies client certificates for a listener with {@code clientAuth}: the chain against the CA
 * bundle (PKIX, the JDK's), then the allow-list against the leaf's subject and subjectAltNames.
 * Failing either fails the handshake with an alert, so a refused client never sends a request.
 * Stateless after construction; called by the TLS engines on the event loops.
 */
final class ClientCertificates extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager pkix;
  private final Set<String> allow;

  private ClientCertificates(X509ExtendedTrustManager pkix, Set<String> allow) {
    this.pkix = pkix;
    this.allow = allow;
  }

  /** A trust manager for client certificates issued by one of {@code ca}, allowed by {@code allow} (empty: any). */
  static TrustManager of(List<X509Certificate> ca, List<String> allow) throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try {
      ks.load(null, null);
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException(e);
    }
    for (int i = 0; i < ca.size(); i++) ks.setCertificateEntry("ca" + i, ca.get(i));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) return new ClientCertificates(x, Set.copyOf(allow));
    }
    throw new GeneralSecurityException("no X509 trust manager for the CA bundle");
  }

  private void allowed(X509Certificate[] chain) throws CertificateException {
    if (allow.isEmpty()) return;
    X509Certificate leaf = chain[0];
    String subject = leaf.getSubjectX500Principal().getName();
    if (allow.contains(subject)) return;
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() > 1 && allow.contains(String.valueOf(san.get(1)))) return;
        }
      }
    } catch (CertificateParsingException e) {
      throw new CertificateException("client certificate " + subject + " has unreadable subjectAltNames", e);
    }
    throw new CertificateException("client certificate " + subject + " is not in the listener's clientAuth.allow");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    pkix.checkClientTrusted(chain, authType, socket);
    allowed(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    pkix.checkClientTrusted(chain, authType, engine);
    allowed(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix.checkClientTrusted(chain, authType);
    allowed(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    throw new CertificateException("a listener verifies clients only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    throw new CertificateException("a listener verifies clients only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a listener verifies clients only");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pkix.getAcceptedIssuers();
  }
}
