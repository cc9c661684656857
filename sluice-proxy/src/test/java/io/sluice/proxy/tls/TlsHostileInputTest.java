package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * What a TLS listener does with hostile input, with both providers: garbage and truncated
 * handshakes are closed without a leak or a log line each, invalid SNI names get the default
 * certificate, client renegotiation is refused.
 */
class TlsHostileInputTest {
  static final TestCerts CA = TestCerts.ca("hostile-ca");
  static final TestCerts.Issued A = CA.leaf("a-cert", "a.example");
  static final TestCerts.Issued DEFAULT = CA.leaf("default-cert", "default.example", "127.0.0.1");

  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @BeforeEach
  void captureLog() {
    logged.start();
    root.addAppender(logged);
  }

  @AfterEach
  void releaseLog() {
    root.detachAppender(logged);
    System.clearProperty(TlsProvider.PROPERTY);
  }

  private List<String> warnings() {
    return logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).map(ILoggingEvent::getFormattedMessage).toList();
  }

  static GatewayFixture gateway(String provider, TestUpstream up) throws Exception {
    return gateway(provider, up, "500ms");
  }

  static GatewayFixture gateway(String provider, TestUpstream up, String handshakeTimeout) throws Exception {
    System.setProperty(TlsProvider.PROPERTY, provider);
    return GatewayFixture.start(TlsFixture.secret("a", A) + TlsFixture.secret("dflt", DEFAULT)
        + TlsFixture.listener(0, "{certificates: [{secret: a, hosts: [a.example]}, {secret: dflt}]}", up.address())
            .replace("  tls: {", "  timeouts: {handshake: " + handshakeTimeout + "}\n  tls: {"));
  }

  /** The first flight of a real TLS client (a ClientHello record for a.example), as bytes. */
  static byte[] clientHello() throws Exception {
    SSLEngine e = SSLContext.getDefault().createSSLEngine("a.example", 443);
    e.setUseClientMode(true);
    e.beginHandshake();
    ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
    e.wrap(ByteBuffer.allocate(0), out);
    return Arrays.copyOf(out.array(), out.position());
  }

  /** Whether the gateway closes {@code c} within 5 s, after at most a TLS alert (any bytes it sends first are read and dropped). */
  static boolean closedByGateway(RawConnection c) throws IOException {
    c.socket().setSoTimeout(5_000);
    byte[] buf = new byte[512];
    try {
      for (int total = 0; total < 4096; ) {
        int n = c.input().read(buf);
        if (n < 0) return true;
        total += n;
      }
      return false;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (java.net.SocketException e) {
      return true; // reset
    }
  }

  static SSLContext trusting() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", CA.caCert().cert());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void closesConnectionsThatSendTlsGarbageWithoutALogLineEach(String provider) throws Exception {
    byte[][] garbage = {
        // A handshake record whose body is not a ClientHello.
        {0x16, 0x03, 0x01, 0x00, 0x08, 0x7f, 0x00, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04},
        // A handshake record announcing 16 KiB + 1 bytes, more than a record may hold.
        {0x16, 0x03, 0x03, 0x40, 0x01, 0x01, 0x00, 0x40, 0x00},
        // A ClientHello header with a nonsense version and length.
        {0x16, (byte) 0xfe, (byte) 0xff, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, (byte) 0xff, (byte) 0xff},
    };
    try (TestUpstream up = TestUpstream.named("up"); GatewayFixture gw = gateway(provider, up)) {
      for (int i = 0; i < 30; i++) {
        try (RawConnection c = RawConnection.open(gw.port())) {
          c.send(garbage[i % garbage.length]);
          assertThat(closedByGateway(c)).as("garbage %d closed", i % garbage.length).isTrue();
        }
      }
      assertThat(warnings()).isEmpty();
      assertThat(up.received()).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void closesATruncatedClientHelloAtTheHandshakeTimeout(String provider) throws Exception {
    byte[] hello = clientHello();
    try (TestUpstream up = TestUpstream.named("up"); GatewayFixture gw = gateway(provider, up)) {
      for (int cut : new int[] {1, 5, hello.length / 2, hello.length - 1}) {
        try (RawConnection c = RawConnection.open(gw.port())) {
          c.send(Arrays.copyOf(hello, cut));
          // timeouts.handshake is 500ms; without it the connection would wait for the idle timeout (60s).
          assertThat(closedByGateway(c)).as("ClientHello cut at %d of %d bytes closed", cut, hello.length).isTrue();
        }
      }
      assertThat(warnings()).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void closesAClientThatConnectsAndSendsNothingAtTheHandshakeTimeout(String provider) throws Exception {
    try (TestUpstream up = TestUpstream.named("up"); GatewayFixture gw = gateway(provider, up);
        RawConnection c = RawConnection.open(gw.port())) {
      // timeouts.handshake is 500ms from the accept; without it the connection would wait for the idle timeout (60s).
      assertThat(closedByGateway(c)).isTrue();
      assertThat(warnings()).isEmpty();
    }
  }

  /**
   * A real ClientHello (from the JDK's engine) with its SNI name replaced by {@code name}, lengths
   * fixed up: the way to send names that no TLS client library lets through.
   */
  static byte[] clientHelloWithSni(String name) throws Exception {
    byte[] hello = clientHello();
    ByteBuffer b = ByteBuffer.wrap(hello);
    int p = 5 + 4 + 2 + 32; // record header, handshake header, version, random
    p += 1 + (b.get(p) & 0xff); // session id
    p += 2 + (b.getShort(p) & 0xffff); // cipher suites
    p += 1 + (b.get(p) & 0xff); // compression methods
    int extensionsLengthAt = p;
    int end = p + 2 + (b.getShort(p) & 0xffff);
    p += 2;
    while (p < end && b.getShort(p) != 0) p += 4 + (b.getShort(p + 2) & 0xffff);
    if (p >= end) throw new AssertionError("no server_name extension in the ClientHello");
    int oldLength = b.getShort(p + 2) & 0xffff;
    byte[] n = name.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    ByteBuffer ext = ByteBuffer.allocate(4 + 2 + 3 + n.length);
    ext.putShort((short) 0).putShort((short) (2 + 3 + n.length)).putShort((short) (3 + n.length)).put((byte) 0).putShort((short) n.length).put(n);
    int delta = ext.capacity() - (4 + oldLength);
    ByteBuffer out = ByteBuffer.allocate(hello.length + delta);
    out.put(hello, 0, p).put(ext.array()).put(hello, p + 4 + oldLength, hello.length - p - 4 - oldLength);
    out.putShort(3, (short) (b.getShort(3) + delta));
    int hsLength = ((hello[6] & 0xff) << 16 | (hello[7] & 0xff) << 8 | (hello[8] & 0xff)) + delta;
    out.put(6, (byte) (hsLength >> 16)).put(7, (byte) (hsLength >> 8)).put(8, (byte) hsLength);
    out.putShort(extensionsLengthAt, (short) (b.getShort(extensionsLengthAt) + delta));
    return out.array();
  }

  static final int HANDSHAKE_RECORD = 22;
  static final int ALERT_RECORD = 21;

  /** The TLS record type the gateway answers {@code hello} with (22 handshake, 21 alert), or -1 when it closes without a record. */
  static int answerTo(int port, byte[] hello) throws IOException {
    try (RawConnection c = RawConnection.open(port)) {
      c.send(hello);
      c.socket().setSoTimeout(5_000);
      try {
        return c.input().read();
      } catch (java.net.SocketException e) {
        return -1;
      }
    }
  }

  /**
   * Like nginx: BoringSSL serves a name that is not a valid host name as no name at all (the default
   * certificate) and refuses one longer than a DNS name may be (255 bytes), or with a NUL byte, with
   * an alert. The JDK's
   * engine parses the name itself and refuses any invalid one with an illegal_parameter alert.
   */
  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void answersAnInvalidSniNameWithTheDefaultCertificateOrAnAlert(String provider) throws Exception {
    try (TestUpstream up = TestUpstream.named("up"); GatewayFixture gw = gateway(provider, up)) {
      for (String name : new String[] {"bad_name!.example", "-a..b.example", "a".repeat(64) + ".example", "x y.example"}) {
        TlsFixture.Run r = TlsFixture.sClient(gw.port(), "-servername", name);
        if (provider.equals("openssl")) {
          assertThat(TlsFixture.subject(r)).as(name).isEqualTo("CN=default-cert");
        } else {
          assertThat(r.exit()).as(name).isNotZero();
          assertThat(r.output()).as(name).contains("alert illegal parameter");
        }
      }
      // Names no client library sends: a ClientHello edited by hand.
      assertThat(answerTo(gw.port(), clientHelloWithSni("a.example"))).isEqualTo(HANDSHAKE_RECORD);
      for (String name : new String[] {"a".repeat(300) + ".example", "a".repeat(2000), "\u0000.example"}) {
        int answer = answerTo(gw.port(), clientHelloWithSni(name));
        // Longer than 255 bytes or with a NUL: refused by BoringSSL as by OpenSSL (and so nginx).
        if (name.length() > 255 || name.indexOf(0) >= 0 || provider.equals("jdk")) {
          assertThat(answer).as("answer to %s...", name.substring(0, 8)).isEqualTo(ALERT_RECORD);
        } else {
          assertThat(answer).as("answer to %s...", name.substring(0, 8)).isEqualTo(HANDSHAKE_RECORD);
        }
      }
      assertThat(warnings()).isEmpty();
    }
  }

  /**
   * A TLS 1.2 client that asks to renegotiate is refused (BoringSSL never renegotiates; the JDK
   * does unless {@code jdk.tls.rejectClientInitiatedRenegotiation}, which Sluice sets): the
   * request after it gets no answer, where an accepted renegotiation would let it through.
   */
  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void refusesClientInitiatedRenegotiation(String provider) throws Exception {
    try (TestUpstream up = TestUpstream.named("up"); GatewayFixture gw = gateway(provider, up);
        SSLSocket s = (SSLSocket) trusting().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), gw.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      SSLParameters p = s.getSSLParameters();
      p.setServerNames(List.of(new SNIHostName("a.example")));
      s.setSSLParameters(p);
      RawConnection c = RawConnection.over(s);
      c.send("GET /first HTTP/1.1\r\nHost: a.example\r\n\r\n");
      RawConnection.Response first = c.readResponse();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("up");
      assertThatThrownBy(() -> {
        s.startHandshake();
        c.send("GET /second HTTP/1.1\r\nHost: a.example\r\n\r\n");
        c.readResponse();
      }).isInstanceOf(IOException.class);
      assertThat(up.received()).hasSize(1);
      assertThat(warnings()).isEmpty();
    }
  }

  /**
   * 5,000 full handshakes from 32 concurrent clients do not starve a keep-alive connection that
   * was established before: its requests keep being answered while they go on. Connections that
   * stall in the handshake meanwhile are closed by timeouts.handshake.
   */
  @org.junit.jupiter.api.Test
  void aHandshakeFloodDoesNotStarveAnEstablishedConnection() throws Exception {
    int handshakes = 5_000;
    byte[] hello = clientHello();
    SSLContext ssl = trusting();
    try (TestUpstream up = TestUpstream.named("up"); GatewayFixture gw = gateway("openssl", up, "2s");
        SSLSocket keepAlive = (SSLSocket) ssl.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), gw.port());
        java.util.concurrent.ExecutorService flood = java.util.concurrent.Executors.newFixedThreadPool(32)) {
      RawConnection established = RawConnection.over(keepAlive);
      established.send("GET /before HTTP/1.1\r\nHost: a.example\r\n\r\n");
      assertThat(established.readResponse().status()).isEqualTo(200);

      java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
      List<java.util.concurrent.Future<?>> tasks = new java.util.ArrayList<>();
      for (int i = 0; i < handshakes; i++) {
        tasks.add(flood.submit(() -> {
          try (SSLSocket f = (SSLSocket) ssl.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), gw.port())) {
            f.setSoTimeout(30_000);
            f.startHandshake();
            // Not resumed by the next one: every handshake is a full one.
            f.getSession().invalidate();
            done.incrementAndGet();
          } catch (IOException e) {
            failed.incrementAndGet();
          }
          return null;
        }));
      }
      List<RawConnection> stalled = new java.util.ArrayList<>();
      for (int i = 0; i < 20; i++) stalled.add(RawConnection.open(gw.port()).send(Arrays.copyOf(hello, 10)));

      int answered = 0;
      while (done.get() + failed.get() < handshakes) {
        established.send("GET /during-" + answered + " HTTP/1.1\r\nHost: a.example\r\n\r\n");
        RawConnection.Response r = established.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("up");
        answered++;
      }
      for (java.util.concurrent.Future<?> t : tasks) t.get();
      assertThat(done.get()).isEqualTo(handshakes);
      assertThat(answered).as("requests answered during the flood").isGreaterThan(0);
      for (RawConnection c : stalled) {
        assertThat(closedByGateway(c)).isTrue();
        c.close();
      }
      assertThat(warnings()).isEmpty();
    }
  }
}
