package io.sluice.proxy.tls;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.sluice.proxy.testing.TestCerts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * An HTTPS upstream on 127.0.0.1 (the JDK's {@link HttpsServer}) that answers 200 {@code "secure " +
 * path} and records, per request, the SNI name the client sent and the subject of its certificate.
 */
final class HttpsUpstream implements AutoCloseable {
  /** What one request arrived with: the SNI name ({@code ""} when none) and the client certificate's subject (or null). */
  record Seen(String path, String sni, @Nullable String clientSubject) {}

  private final HttpsServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  /**
   * @param cert the server's certificate
   * @param clientCa when not null, a client certificate issued by it is required
   * @param protocols the versions served, such as {@code TLSv1.2}
   */
  HttpsUpstream(TestCerts.Issued cert, TestCerts.@Nullable Issued clientCa, String... protocols) throws IOException {
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    SSLContext ssl = context(cert, clientCa);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = ssl.getDefaultSSLParameters();
        if (protocols.length > 0) p.setProtocols(protocols);
        p.setNeedClientAuth(clientCa != null);
        params.setSSLParameters(p);
      }
    });
    server.createContext("/", ex -> {
      HttpsExchange https = (HttpsExchange) ex;
      String sni = "";
      if (https.getSSLSession() instanceof ExtendedSSLSession s) {
        for (SNIServerName n : s.getRequestedServerNames()) {
          if (n instanceof SNIHostName h) sni = h.getAsciiName();
        }
      }
      String subject = null;
      try {
        subject = ((X509Certificate) https.getSSLSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
      } catch (SSLPeerUnverifiedException e) {
        // No client certificate.
      }
      seen.add(new Seen(ex.getRequestURI().getPath(), sni, subject));
      ex.getRequestBody().readAllBytes();
      byte[] body = ("secure " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.setExecutor(executor);
    server.start();
  }

  private static SSLContext context(TestCerts.Issued cert, TestCerts.@Nullable Issued clientCa) {
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("server", cert.keys().getPrivate(), new char[0], new X509Certificate[] {cert.cert()});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
      TrustManagerFactory tmf = null;
      if (clientCa != null) {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", clientCa.cert());
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
      return ssl;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code 127.0.0.1:port}, as an Upstream endpoint address. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** The requests answered so far, in order. */
  List<Seen> seen() {
    return seen;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.close();
  }
}
