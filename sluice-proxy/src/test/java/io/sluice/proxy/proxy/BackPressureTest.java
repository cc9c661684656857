package io.sluice.proxy.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawUpstream;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure: a side that does not read makes the gateway stop reading from the other, so what
 * the fast side manages to send is bounded by socket buffers, not by the body's size; and bodies far
 * larger than the heap's share for buffers pass through whole.
 */
class BackPressureTest {
  private static final int BLOCK = 64 * 1024;
  private static final long GiB = 1L << 30;
  private static final long MiB = 1L << 20;
  /**
   * Bytes a stalled transfer may get out of the sender: the socket buffers on both hops (Linux
   * autotunes a send buffer up to tcp_wmem's maximum, 4 MiB by default; about 9 MiB get out here in
   * all) and the gateway's own few 64 KiB buffers; nowhere near the size of the body.
   */
  private static final long BOUND = Math.max(16 * MiB, 2 * maxSendBuffer() + 8 * MiB);

  private static long maxSendBuffer() {
    try {
      String[] v = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+");
      return Long.parseLong(v[2]);
    } catch (IOException | RuntimeException e) {
      return 4 * MiB;
    }
  }

  /** Block {@code i} of a numbered stream: a pattern that differs per block, stamped with the index. */
  private static void fillBlock(byte[] block, long index) {
    for (int k = 0; k < block.length; k++) block[k] = (byte) (k * 7 + index * 13);
    ByteBuffer.wrap(block).putLong(0, index);
  }

  private static long expectedCrc(long length) {
    CRC32 crc = new CRC32();
    byte[] block = new byte[BLOCK];
    long left = length;
    for (long i = 0; left > 0; i++) {
      fillBlock(block, i);
      int n = (int) Math.min(BLOCK, left);
      crc.update(block, 0, n);
      left -= n;
    }
    return crc.getValue();
  }

  /** Writes {@code length} bytes of numbered blocks, counting what the socket accepted. */
  private static void writeBlocks(OutputStream out, long length, AtomicLong written) throws IOException {
    byte[] block = new byte[BLOCK];
    long left = length;
    for (long i = 0; left > 0; i++) {
      fillBlock(block, i);
      int n = (int) Math.min(BLOCK, left);
      out.write(block, 0, n);
      written.addAndGet(n);
      left -= n;
    }
    out.flush();
  }

  /** Waits until {@code counter} has not moved for a second (the sender is stalled), and returns it. */
  private static long stalledValue(AtomicLong counter) throws InterruptedException {
    long last = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      Thread.sleep(1000);
      long now = counter.get();
      if (now == last) return now;
      last = now;
    }
    throw new AssertionError("the sender never stalled; it got " + counter.get() + " bytes out");
  }

  @Test
  void aClientThatDoesNotReadStopsTheUpstreamAndLaterGetsEveryByte() throws Exception {
    long total = GiB;
    AtomicLong written = new AtomicLong();
    try (TestUpstream up = TestUpstream.start("big", (req, ex) -> {
          ex.raw("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + total + "\r\n\r\n");
          writeBlocks(ex.output(), total, written);
        });
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()));
        RawConnection c = RawConnection.openWithReceiveBuffer(gw.port(), 64 * 1024)) {
      c.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
      long stalled = stalledValue(written);
      assertThat(stalled).as("bytes the upstream got out to a client reading nothing").isLessThan(BOUND);

      RawConnection.Response head = c.readHeadResponse();
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("content-length")).isEqualTo(String.valueOf(total));
      InputStream in = c.input();
      byte[] expected = new byte[BLOCK];
      byte[] got = new byte[BLOCK];
      for (long i = 0; i * BLOCK < total; i++) {
        fillBlock(expected, i);
        int n = in.readNBytes(got, 0, BLOCK);
        assertThat(n).isEqualTo(BLOCK);
        if (!Arrays.equals(got, expected)) {
          throw new AssertionError("block " + i + " differs at byte " + Arrays.mismatch(got, expected));
        }
      }
      assertThat(written.get()).isEqualTo(total);
    }
  }

  @Test
  void anUpstreamThatDoesNotReadStopsTheClientAndLaterGetsEveryByte() throws Exception {
    long total = 256 * MiB;
    AtomicLong sent = new AtomicLong();
    try (RawUpstream up = RawUpstream.start();
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()));
        RawConnection c = RawConnection.open(gw.port())) {
      CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
        try {
          c.send("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + total + "\r\n\r\n");
          writeBlocks(c.socket().getOutputStream(), total, sent);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, r -> Thread.ofVirtual().start(r));
      try (RawUpstream.Conn u = up.accept()) {
        String head = u.readHead();
        assertThat(head).startsWith("PUT /upload HTTP/1.1\r\n").contains("\r\nContent-Length: " + total + "\r\n");
        // The upstream reads nothing more for now.
        long stalled = stalledValue(sent);
        assertThat(stalled).as("bytes the client got out to an upstream reading nothing").isLessThan(BOUND);

        CRC32 crc = new CRC32();
        byte[] buf = new byte[BLOCK];
        long left = total;
        InputStream in = u.input();
        while (left > 0) {
          int n = in.read(buf, 0, (int) Math.min(buf.length, left));
          assertThat(n).isPositive();
          crc.update(buf, 0, n);
          left -= n;
        }
        upload.get(30, TimeUnit.SECONDS);
        assertThat(sent.get()).isEqualTo(total);
        assertThat(crc.getValue()).isEqualTo(expectedCrc(total));
        u.write("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.body()).isEqualTo("ok");
      }
    }
  }

  private static String oneSecondIdleTimeout(String endpoint) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          limits: {requestBuffer: 0}  # bodies stream from their first byte
          timeouts: {idle: 1s, headerRead: 1s}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec:
          upstream: backend
        """.formatted(0, endpoint);
  }

  @Test
  void aClientBodyThatStopsArrivingIsCutOffAfterTheIdleTimeout() throws Exception {
    try (RawUpstream up = RawUpstream.start();
        GatewayFixture gw = GatewayFixture.start(oneSecondIdleTimeout(up.address()));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
      try (RawUpstream.Conn u = up.accept()) {
        u.readHead();
        assertThat(new String(u.readN(10), ISO_8859_1)).isEqualTo("0123456789");
        long start = System.nanoTime();
        RawConnection.Response r = c.readResponse();
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.status()).isEqualTo(408);
        assertThat(r.header("x-sluice-reason")).isEqualTo("request_timeout");
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(tookMs).isBetween(500L, 3000L);
        assertThat(c.closedByPeer(java.time.Duration.ofSeconds(5))).isTrue();
        // the upstream's half-sent request is abandoned with its connection
        assertThat(u.input().read()).isEqualTo(-1);
      }
    }
  }

  @Test
  void anUpstreamPausingLongerThanTheIdleTimeoutIsNotTheClientsFault() throws Exception {
    long total = 64 * MiB;
    AtomicLong sent = new AtomicLong();
    try (RawUpstream up = RawUpstream.start();
        GatewayFixture gw = GatewayFixture.start(oneSecondIdleTimeout(up.address()));
        RawConnection c = RawConnection.open(gw.port())) {
      CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
        try {
          c.send("PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + total + "\r\n\r\n");
          writeBlocks(c.socket().getOutputStream(), total, sent);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, r -> Thread.ofVirtual().start(r));
      try (RawUpstream.Conn u = up.accept()) {
        u.readHead();
        // The upstream reads nothing for three idle timeouts: the client keeps trying to send all along.
        long stalled = stalledValue(sent);
        Thread.sleep(1500);
        assertThat(sent.get()).isEqualTo(stalled);
        CRC32 crc = new CRC32();
        byte[] buf = new byte[BLOCK];
        long left = total;
        while (left > 0) {
          int n = u.input().read(buf, 0, (int) Math.min(buf.length, left));
          assertThat(n).as("body bytes after %d of %d", total - left, total).isPositive();
          crc.update(buf, 0, n);
          left -= n;
        }
        upload.get(30, TimeUnit.SECONDS);
        assertThat(crc.getValue()).isEqualTo(expectedCrc(total));
        u.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(c.readResponse().body()).isEqualTo("ok");
      }
    }
  }

  @Test
  void a256MiBUploadAndDownloadPassWhole() throws Exception {
    long total = 256 * MiB;
    long crc = expectedCrc(total);
    try (TestUpstream up = TestUpstream.start("io", (req, ex) -> {
          if (req.method().equals("PUT")) {
            ex.respond(200, Map.of(), req.bodyLength() + " " + req.bodyCrc32());
          } else {
            ex.raw("HTTP/1.1 200 OK\r\nContent-Length: " + total + "\r\n\r\n");
            writeBlocks(ex.output(), total, new AtomicLong());
          }
        });
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + total + "\r\n\r\n");
      Socket s = c.socket();
      writeBlocks(s.getOutputStream(), total, new AtomicLong());
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(total + " " + crc);

      c.send("GET /down HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response head = c.readHeadResponse();
      assertThat(head.header("content-length")).isEqualTo(String.valueOf(total));
      CRC32 got = new CRC32();
      byte[] buf = new byte[BLOCK];
      long left = total;
      while (left > 0) {
        int n = c.input().read(buf, 0, (int) Math.min(buf.length, left));
        assertThat(n).isPositive();
        got.update(buf, 0, n);
        left -= n;
      }
      assertThat(got.getValue()).isEqualTo(crc);
      assertThat(up.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void aChunkedDownloadToASlowClientIsBoundedToo() throws Exception {
    AtomicLong written = new AtomicLong();
    long chunks = 1024;
    try (TestUpstream up = TestUpstream.start("chunky", (req, ex) -> {
          OutputStream out = ex.output();
          out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(ISO_8859_1));
          byte[] block = new byte[BLOCK];
          byte[] size = (Integer.toHexString(BLOCK) + "\r\n").getBytes(ISO_8859_1);
          for (long i = 0; i < chunks; i++) {
            fillBlock(block, i);
            out.write(size);
            out.write(block);
            out.write("\r\n".getBytes(ISO_8859_1));
            written.addAndGet(BLOCK);
          }
          out.write("0\r\n\r\n".getBytes(ISO_8859_1));
          out.flush();
        });
        GatewayFixture gw = GatewayFixture.start(GatewayFixture.simpleProxy(0, up.address()));
        RawConnection c = RawConnection.openWithReceiveBuffer(gw.port(), 64 * 1024)) {
      c.send("GET /chunky HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(stalledValue(written)).isLessThan(BOUND);
      RawConnection.Response r = c.readHeadResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("transfer-encoding")).isEqualTo("chunked");
      // The chunks arrive as the upstream framed them.
      InputStream in = c.input();
      byte[] expected = new byte[BLOCK];
      byte[] size = (Integer.toHexString(BLOCK) + "\r\n").getBytes(ISO_8859_1);
      for (long i = 0; i < chunks; i++) {
        fillBlock(expected, i);
        assertThat(in.readNBytes(size.length)).isEqualTo(size);
        if (!Arrays.equals(in.readNBytes(BLOCK), expected)) throw new AssertionError("chunk " + i + " differs");
        assertThat(new String(in.readNBytes(2), ISO_8859_1)).isEqualTo("\r\n");
      }
      assertThat(new String(in.readNBytes(5), ISO_8859_1)).isEqualTo("0\r\n\r\n");
      assertThat(written.get()).isEqualTo(chunks * BLOCK);
    }
  }
}
