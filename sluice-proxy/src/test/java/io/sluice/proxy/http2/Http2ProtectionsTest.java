package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each HTTP/2 protection attacked on a real listener with raw frames ({@link RawH2}), with the
 * listener's configured limits; after each attack a well-behaved client is still served.
 */
class Http2ProtectionsTest {
  /** RFC 9113 §7 error codes. */
  static final int PROTOCOL_ERROR = 1;
  static final int CANCEL = 8;
  static final int ENHANCE_YOUR_CALM = 11;

  TestUpstream up;
  GatewayFixture gw;

  @BeforeEach
  void startUpstream() throws Exception {
    up = TestUpstream.start("up", (req, ex) -> {
      if (req.target().equals("/big")) {
        ex.respond(200, Map.of(), "b".repeat(200_000));
      } else {
        ex.respond(200, Map.of(), "ok " + req.target());
      }
    });
  }

  @AfterEach
  void stop() throws Exception {
    if (gw != null) gw.close();
    if (up != null) up.close();
  }

  private int start(String extra) throws Exception {
    gw = GatewayFixture.start(H2Fixture.plain(0, up.address(), extra));
    return gw.port();
  }

  /** A well-behaved request on a new connection gets its answer: the attack cost the attacker only. */
  private void stillServes(int port) throws Exception {
    try (RawH2 c = RawH2.connect(port, 0)) {
      c.request(1, true, "GET", "/after");
      RawH2.Response r = c.response(1, Duration.ofSeconds(10));
      assertThat(r.status()).isEqualTo("200");
      assertThat(r.body()).isEqualTo("ok /after");
    }
  }

  @Test
  void closesAConnectionThatResetsStreamsFasterThanItsBudget() throws Exception {
    int port = start("http2: {maxResets: 50, resetWindow: 10s}");
    try (RawH2 c = RawH2.connect(port, 0)) {
      try {
        for (int s = 1; s <= 2 * 100; s += 2) {
          c.request(s, true, "GET", "/r");
          c.rst(s, CANCEL);
        }
      } catch (IOException closedMeanwhile) {
        // the gateway may close before the last frames are written
      }
      RawH2.Frame goAway = c.until(RawH2.GOAWAY, Duration.ofSeconds(10));
      assertThat(goAway).as("GOAWAY").isNotNull();
      assertThat(goAway.errorCode()).as(new String(goAway.payload(), 8, goAway.payload().length - 8, StandardCharsets.UTF_8))
          .isEqualTo(ENHANCE_YOUR_CALM);
      assertThat(c.closedWithin(Duration.ofSeconds(10))).isTrue();
    }
    stillServes(port);
  }

  @Test
  void closesAConnectionWhoseHeaderBlockNeverEnds() throws Exception {
    int port = start("http2: {maxHeaderListSize: 4KiB}");
    try (RawH2 c = RawH2.connect(port, 0)) {
      c.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, c.block("GET", "/flood"));
      boolean cut = false;
      try {
        for (int i = 0; i < 2000; i++) {
          c.frame(RawH2.CONTINUATION, 0, 1, literal("x-flood-" + i, "a".repeat(1000)));
        }
      } catch (IOException closed) {
        cut = true;
      }
      assertThat(cut || c.closedWithin(Duration.ofSeconds(10))).as("closed before 2 MB of header block").isTrue();
    }
    assertThat(up.received()).isEmpty();
    stillServes(port);
  }

  @Test
  void refusesAHeaderListThatDecodesBeyondItsLimitWith431AndServesTheConnectionOn() throws Exception {
    int port = start("http2: {maxHeaderListSize: 4KiB}");
    try (RawH2 c = RawH2.connect(port, 0)) {
      // HPACK bomb: one 3000-byte field into the dynamic table, then 100 one-byte references to it (300 KB decoded).
      ByteArrayOutputStream block = new ByteArrayOutputStream();
      block.write(c.block("GET", "/bomb"));
      block.write(incrementalLiteral("x-bomb", "b".repeat(3000)));
      for (int i = 0; i < 100; i++) block.write(0x80 | 62);
      c.frame(RawH2.HEADERS, RawH2.END_HEADERS | RawH2.END_STREAM, 1, block.toByteArray());
      RawH2.Response refused = c.response(1, Duration.ofSeconds(10));
      assertThat(refused.status()).isEqualTo("431");
      c.request(3, true, "GET", "/next");
      RawH2.Response next = c.response(3, Duration.ofSeconds(10));
      assertThat(next.status()).isEqualTo("200");
      assertThat(next.body()).isEqualTo("ok /next");
    }
    assertThat(up.received()).hasSize(1);
    assertThat(up.take().target()).isEqualTo("/next");
  }

  @Test
  void closesAConnectionThatFloodsPingsWithoutReadingTheAcks() throws Exception {
    int port = start("http2: {maxQueuedControlFrames: 100}");
    byte[] ping = new byte[17];
    System.arraycopy(RawH2.header(RawH2.PING, 0, 0, 8), 0, ping, 0, 9);
    assertThat(floodUntilClosed(port, ping)).as("closed while flooding").isTrue();
    stillServes(port);
  }

  @Test
  void closesAConnectionThatFloodsSettingsWithoutReadingTheAcks() throws Exception {
    int port = start("http2: {maxQueuedControlFrames: 100}");
    assertThat(floodUntilClosed(port, RawH2.header(RawH2.SETTINGS, 0, 0, 0))).as("closed while flooding").isTrue();
    stillServes(port);
  }

  /** Sends {@code frame} over and over without reading (a small receive buffer); true when the gateway closed the connection. */
  private static boolean floodUntilClosed(int port, byte[] frame) throws Exception {
    byte[] batch = new byte[frame.length * 1000];
    for (int i = 0; i < 1000; i++) System.arraycopy(frame, 0, batch, i * frame.length, frame.length);
    try (RawH2 c = RawH2.connect(port, 4096)) {
      try {
        // 20 MB of frames: far more than the socket buffers hold, so the acknowledgements queue in the gateway.
        for (int i = 0; i < 20_000_000 / batch.length; i++) c.write(batch);
      } catch (IOException closed) {
        return true;
      }
      return c.closedWithin(Duration.ofSeconds(10));
    }
  }

  @Test
  void resetsAStreamWhoseClientNeverOpensItsWindow() throws Exception {
    int port = start("timeouts: {idle: 1s}");
    // SETTINGS_INITIAL_WINDOW_SIZE = 0: the gateway may send no DATA at all on a stream.
    try (RawH2 c = RawH2.connect(port, 0, 4, 0)) {
      c.request(1, true, "GET", "/big");
      RawH2.Frame rst = c.until(RawH2.RST_STREAM, Duration.ofSeconds(10));
      assertThat(rst).as("RST_STREAM").isNotNull();
      assertThat(rst.stream()).isEqualTo(1);
      assertThat(rst.errorCode()).isEqualTo(CANCEL);
    }
    stillServes(port);
  }

  @Test
  void answersAStreamThatNeverSendsItsBodyWhenTheIdleTimeoutPasses() throws Exception {
    int port = start("timeouts: {idle: 1s}");
    try (RawH2 c = RawH2.connect(port, 0)) {
      c.request(1, false, "POST", "/never", "content-length", "10");
      long t0 = System.nanoTime();
      RawH2.Response r = c.response(1, Duration.ofSeconds(10));
      assertThat(r.status()).isEqualTo("408");
      assertThat(String.valueOf(r.headers().get("x-sluice-reason"))).isEqualTo("request_timeout");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
    }
    assertThat(up.received()).isEmpty();
  }

  @Test
  void refusesMalformedRequestsWithAStreamErrorAndServesTheConnectionOn() throws Exception {
    int port = start("");
    try (RawH2 c = RawH2.connect(port, 0)) {
      c.request(1, true, "GET", "/upper", "X-Upper", "1");
      assertThat(c.until(RawH2.RST_STREAM, Duration.ofSeconds(10)).errorCode()).isEqualTo(PROTOCOL_ERROR);
      c.request(3, true, "GET", "/conn", "connection", "keep-alive");
      RawH2.Frame rst = c.until(RawH2.RST_STREAM, Duration.ofSeconds(10));
      assertThat(rst.stream()).isEqualTo(3);
      assertThat(rst.errorCode()).isEqualTo(PROTOCOL_ERROR);
      c.request(5, true, "GET", "/te", "te", "gzip");
      rst = c.until(RawH2.RST_STREAM, Duration.ofSeconds(10));
      assertThat(rst.stream()).isEqualTo(5);
      c.request(7, true, "GET", "/fine");
      RawH2.Response r = c.response(7, Duration.ofSeconds(10));
      assertThat(r.status()).isEqualTo("200");
      assertThat(r.body()).isEqualTo("ok /fine");
    }
    assertThat(up.received()).hasSize(1);
  }

  /** An HPACK literal field without indexing, new name, no Huffman coding. */
  static byte[] literal(String name, String value) {
    return hpackLiteral(0x00, name, value);
  }

  /** An HPACK literal field with incremental indexing (it enters the dynamic table), new name. */
  static byte[] incrementalLiteral(String name, String value) {
    return hpackLiteral(0x40, name, value);
  }

  private static byte[] hpackLiteral(int first, String name, String value) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.write(first);
    string(o, name);
    string(o, value);
    return o.toByteArray();
  }

  private static void string(ByteArrayOutputStream o, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    int n = b.length;
    if (n < 127) {
      o.write(n);
    } else {
      o.write(127);
      n -= 127;
      while (n >= 128) {
        o.write((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      o.write(n);
    }
    o.write(b, 0, b.length);
  }
}
