package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proxy.testing.GatewayFixture;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 flow control is back-pressure per stream: a slow upstream holds back only its own
 * stream's window, a slow client reading one stream holds back only that stream's upstream, and a
 * request body streams. Driven with raw frames ({@link RawH2}) so that the test sees every window
 * the gateway gives; the upstream is a raw socket server that can stop reading or writing.
 */
class Http2FlowControlTest {
  /** The listener's default stream window (64 KiB) and stream limit (100): the connection window is their product. */
  static final int STREAM_WINDOW = 65_536;
  static final int CONNECTION_WINDOW = STREAM_WINDOW * 100;

  SlowUpstream up;
  GatewayFixture gw;

  @BeforeEach
  void start() throws Exception {
    up = new SlowUpstream();
    gw = GatewayFixture.start(H2Fixture.plain(0, "127.0.0.1:" + up.port(),
        "limits: {requestBuffer: 0}\ntimeouts: {drain: 1s}"));
  }

  @AfterEach
  void stop() throws Exception {
    if (gw != null) gw.close();
    if (up != null) up.close();
  }

  @Test
  void aSlowUpstreamHoldsBackOnlyItsOwnStreamsWindow() throws Exception {
    try (RawH2 raw = RawH2.connect(gw.port(), 0)) {
      Windows c = new Windows(raw);
      raw.request(1, false, "POST", "/hold", "content-length", String.valueOf(64 << 20));
      long sent = c.send(1, 64 << 20, false, Duration.ofSeconds(2));
      // The upstream reads nothing: the stream stalls once the sockets between are full, long
      // before its 64 MiB are sent.
      assertThat(sent).isLessThan(24L << 20);
      assertThat(c.streamWindow(1)).isZero();
      // What the held stream keeps of the connection window is its own window at most (Netty
      // gives the connection window back in halves: allow for the half not yet returned).
      assertThat(c.connectionWindow()).isGreaterThanOrEqualTo(CONNECTION_WINDOW / 2 - STREAM_WINDOW);
      // Meanwhile another stream on the connection completes, body and all.
      raw.request(3, true, "GET", "/fast");
      RawH2.Response r3 = raw.response(3, Duration.ofSeconds(10));
      assertThat(r3.status()).isEqualTo("200");
      assertThat(r3.body()).isEqualTo("fast /fast 0");
      raw.request(5, false, "POST", "/fast-post", "content-length", String.valueOf(1 << 20));
      assertThat(c.send(5, 1 << 20, true, Duration.ofSeconds(10))).isEqualTo(1 << 20);
      RawH2.Response r5 = raw.response(5, Duration.ofSeconds(10));
      assertThat(r5.body()).isEqualTo("fast /fast-post " + (1 << 20));
      // The held stream is still held: the upstream has not read, so no more of its window came back.
      assertThat(c.streamWindow(1)).isZero();
      assertThat(up.bodyBytesRead("/hold")).isZero();
    }
  }

  @Test
  void aClientThatStopsReadingOneStreamDoesNotStallTheOthers() throws Exception {
    // The client's stream window is 16 KiB and it never opens stream 1's: that stream takes 16 KiB
    // of the response and no more.
    try (RawH2 raw = RawH2.connect(gw.port(), 0, 0x4, 16_384)) {
      raw.request(1, true, "GET", "/big");
      await().atMost(Duration.ofSeconds(10)).until(() -> up.responseBytesWritten() > 0);
      for (int s = 3; s <= 21; s += 2) {
        raw.request(s, true, "GET", "/fast" + s);
        RawH2.Response r = raw.response(s, Duration.ofSeconds(10));
        assertThat(r.status()).isEqualTo("200");
        assertThat(r.body()).isEqualTo("fast /fast" + s + " 0");
      }
      // The gateway stopped reading the upstream of stream 1 instead of buffering its response: the
      // upstream is blocked writing, far short of its 256 MiB.
      long written = up.responseBytesWritten();
      Thread.sleep(500); // a window in which an unthrottled upstream would write hundreds of MiB more
      assertThat(up.responseBytesWritten() - written).isLessThan(1L << 20);
      assertThat(up.responseBytesWritten()).isLessThan(64L << 20);
    }
  }

  @Test
  void aRequestBodyStreamsToTheUpstreamBeforeTheClientHasSentItAll() throws Exception {
    try (RawH2 raw = RawH2.connect(gw.port(), 0)) {
      Windows c = new Windows(raw);
      raw.request(1, false, "POST", "/stream", "content-length", "100000");
      assertThat(c.send(1, 10_000, false, Duration.ofSeconds(5))).isEqualTo(10_000);
      // The upstream sees the first bytes while 90% of the body is still with the client.
      assertThat(up.firstBodyBytes.await(10, TimeUnit.SECONDS)).as("the upstream got the first bytes").isTrue();
      assertThat(c.send(1, 90_000, true, Duration.ofSeconds(5))).isEqualTo(90_000);
      RawH2.Response r = raw.response(1, Duration.ofSeconds(10));
      assertThat(r.body()).isEqualTo("fast /stream 100000");
    }
  }

  /** The client's view of its send windows, kept from the WINDOW_UPDATE and SETTINGS frames it reads. */
  static final class Windows {
    private final RawH2 raw;
    private long connection = 65_535;
    private final Map<Integer, Long> streams = new HashMap<>();
    private long initialStream = 65_535;

    Windows(RawH2 raw) throws IOException {
      this.raw = raw;
      // The gateway's SETTINGS and its connection WINDOW_UPDATE come first.
      drain(Duration.ofSeconds(5), () -> connection > 65_535);
    }

    long streamWindow(int stream) {
      return streams.getOrDefault(stream, initialStream);
    }

    long connectionWindow() {
      return connection;
    }

    /**
     * Sends up to {@code total} bytes on {@code stream} as the windows allow (END_STREAM with the last
     * when {@code end}); returns what it sent when done or when no window opened for {@code quiet}.
     */
    long send(int stream, long total, boolean end, Duration quiet) throws IOException {
      long sent = 0;
      byte[] chunk = new byte[16_384];
      java.util.Arrays.fill(chunk, (byte) 'b');
      while (sent < total) {
        long n = Math.min(Math.min(chunk.length, total - sent), Math.min(streamWindow(stream), connection));
        if (n <= 0) {
          long before = streamWindow(stream) + connection;
          if (!drain(quiet, () -> Math.min(streamWindow(stream), connection) > 0) && streamWindow(stream) + connection == before) {
            return sent;
          }
          continue;
        }
        boolean last = end && sent + n == total;
        raw.write(RawH2.header(RawH2.DATA, last ? RawH2.END_STREAM : 0, stream, (int) n));
        raw.write(n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, (int) n));
        sent += n;
        connection -= n;
        streams.put(stream, streamWindow(stream) - n);
      }
      return sent;
    }

    /** Reads window frames until {@code done} or {@code within} passes; false then. Only WINDOW_UPDATE and SETTINGS may come meanwhile. */
    private boolean drain(Duration within, java.util.function.BooleanSupplier done) throws IOException {
      long deadline = System.nanoTime() + within.toNanos();
      raw.readTimeout(Duration.ofMillis(50));
      try {
        while (!done.getAsBoolean()) {
          if (System.nanoTime() > deadline) return false;
          RawH2.Frame f;
          try {
            f = raw.read();
          } catch (SocketTimeoutException e) {
            continue;
          }
          if (f == null) throw new AssertionError("the gateway closed the connection");
          if (f.type() == RawH2.WINDOW_UPDATE) {
            long inc = f.errorCode() & 0x7fffffffL;
            if (f.stream() == 0) connection += inc;
            else streams.put(f.stream(), streamWindow(f.stream()) + inc);
          } else if (f.type() == RawH2.SETTINGS && (f.flags() & RawH2.ACK) == 0) {
            byte[] p = f.payload();
            for (int i = 0; i + 6 <= p.length; i += 6) {
              int id = (p[i] & 0xff) << 8 | (p[i + 1] & 0xff);
              long v = (p[i + 2] & 0xffL) << 24 | (p[i + 3] & 0xff) << 16 | (p[i + 4] & 0xff) << 8 | (p[i + 5] & 0xff);
              if (id == 0x4) initialStream = v;
            }
          } else if (f.type() == RawH2.HEADERS || f.type() == RawH2.DATA || f.type() == RawH2.RST_STREAM) {
            throw new AssertionError("unexpected frame of type " + f.type() + " on stream " + f.stream());
          }
        }
        return true;
      } finally {
        raw.readTimeout(Duration.ofSeconds(10));
      }
    }
  }

  /**
   * An HTTP/1.1 upstream on raw sockets: {@code /hold} reads its head and then nothing; {@code /big}
   * answers 256 MiB (counting what it could write); {@code /stream} notes its first body bytes;
   * anything else reads its body and answers {@code fast PATH BODY_LENGTH}.
   */
  static final class SlowUpstream implements AutoCloseable {
    final ServerSocket server;
    final CountDownLatch firstBodyBytes = new CountDownLatch(1);
    private final AtomicLong written = new AtomicLong();
    private final Map<String, AtomicLong> bodyRead = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;

    SlowUpstream() throws IOException {
      server = new ServerSocket();
      server.setReceiveBufferSize(16_384);
      server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread.ofVirtual().start(this::accept);
    }

    int port() {
      return server.getLocalPort();
    }

    long responseBytesWritten() {
      return written.get();
    }

    long bodyBytesRead(String path) {
      AtomicLong n = bodyRead.get(path);
      return n == null ? 0 : n.get();
    }

    private void accept() {
      while (!closed) {
        try {
          Socket s = server.accept();
          s.setSendBufferSize(16_384);
          Thread.ofVirtual().start(() -> serve(s));
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s) {
        InputStream in = new BufferedInputStream(s.getInputStream(), 1024);
        OutputStream out = s.getOutputStream();
        while (true) {
          String head = head(in);
          if (head == null) return;
          String path = head.split(" ", 3)[1];
          long length = 0;
          for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) length = Long.parseLong(line.substring(15).strip());
          }
          AtomicLong read = bodyRead.computeIfAbsent(path, p -> new AtomicLong());
          if (path.equals("/hold")) {
            while (!closed) Thread.sleep(50);
            return;
          }
          if (path.equals("/big")) {
            long total = 256L << 20;
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + total + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[8192];
            for (long w = 0; w < total; w += chunk.length) {
              out.write(chunk);
              written.addAndGet(chunk.length);
            }
            continue;
          }
          byte[] buf = new byte[8192];
          for (long got = 0; got < length; ) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, length - got));
            if (n < 0) return;
            got += n;
            read.addAndGet(n);
            if (path.equals("/stream")) firstBodyBytes.countDown();
          }
          byte[] body = ("fast " + path + " " + length).getBytes(StandardCharsets.US_ASCII);
          out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(body);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // the gateway closed the connection, or the test ended
      }
    }

    private static String head(InputStream in) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) >= 0) {
        b.write(c);
        byte[] a = b.toByteArray();
        int n = a.length;
        if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
          return b.toString(StandardCharsets.US_ASCII);
        }
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      closed = true;
      server.close();
    }
  }
}
