package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.testing.TestUpstream;
import java.math.BigInteger;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** A changed Secret reaches new handshakes; open connections keep theirs; no request fails meanwhile. */
class TlsRotationTest {
  static final TestCerts CA = TestCerts.ca("rotation-ca");
  static final String TLS = "{certificates: [{secret: web}]}";

  @Test
  void rotatesTheCertificateForNewConnectionsWithoutFailingRequestsOrDroppingOpenOnes() throws Exception {
    TestCerts.Issued first = CA.leaf("first", "127.0.0.1");
    TestCerts.Issued second = CA.leaf("second", "127.0.0.1");
    SSLContext client = trusting(CA.caCert().cert());
    try (TestUpstream up = TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of(), "ok " + req.target()))) {
      try (GatewayFixture gw = GatewayFixture.start(TlsFixture.secret("web", first) + TlsFixture.listener(0, TLS, up.address()))) {
        int port = gw.port();
        SSLSocket kept = connect(client, port);
        try (RawConnection keptConn = RawConnection.over(kept)) {
          keptConn.send("GET /before HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
          assertThat(keptConn.readResponse().body()).isEqualTo("ok /before");
          assertThat(serial(kept)).isEqualTo(first.serial());

          AtomicBoolean stop = new AtomicBoolean();
          AtomicInteger ok = new AtomicInteger();
          List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
          Set<BigInteger> seen = ConcurrentHashMap.newKeySet();
          Thread load = Thread.ofPlatform().start(() -> {
            // Bounded: at most 2000 requests, each on a new connection (a new handshake).
            for (int i = 0; i < 2000 && !stop.get(); i++) {
              // A context of its own: a full handshake, not a resumption of a session from before the rotation.
              try (SSLSocket s = connect(trusting(CA.caCert().cert()), port); RawConnection c = RawConnection.over(s)) {
                c.send("GET /n" + i + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
                RawConnection.Response r = c.readResponse();
                if (r.status() == 200 && r.body().equals("ok /n" + i)) ok.incrementAndGet();
                else failures.add(i + ": " + r.statusLine() + " " + r.body());
                seen.add(serial(s));
              } catch (Exception e) {
                failures.add(i + ": " + e);
              }
            }
          });
          await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() >= 20);
          gw.reload(TlsFixture.secret("web", second) + TlsFixture.listener(0, TLS, up.address()));
          int atRotation = ok.get();
          await().atMost(Duration.ofSeconds(20)).until(() -> seen.contains(second.serial()) && ok.get() >= atRotation + 20);
          stop.set(true);
          load.join();

          assertThat(failures).isEmpty();
          assertThat(seen).containsExactlyInAnyOrder(first.serial(), second.serial());
          // The connection opened before the rotation still works, on the certificate it shook hands with.
          keptConn.send("GET /after HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
          assertThat(keptConn.readResponse().body()).isEqualTo("ok /after");
          assertThat(serial(kept)).isEqualTo(first.serial());
          try (SSLSocket fresh = connect(trusting(CA.caCert().cert()), port); RawConnection c = RawConnection.over(fresh)) {
            c.send("GET /new HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(c.readResponse().body()).isEqualTo("ok /new");
            assertThat(serial(fresh)).isEqualTo(second.serial());
          }
        }
      }
    }
  }

  static SSLContext trusting(X509Certificate ca) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  static SSLSocket connect(SSLContext ctx, int port) throws Exception {
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  static BigInteger serial(SSLSocket s) throws Exception {
    return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
  }
}
