package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bodies far larger than the gateway's memory stream through it: the gateway runs as a process with
 * a 256 MiB heap and 256 MiB of direct memory and carries 1 GiB each way. Everything is checked:
 * every byte of the download, the length and CRC32 of each upload as the upstream received it.
 */
class LargeBodyTest {
  private static final long GIB = 1L << 30;
  private static final int BLOCK = 64 * 1024;

  private static TestUpstream upstream;
  private static ServerProcess sluice;
  private static Path configDir;
  private static Path dataDir;
  private static int port;

  @BeforeAll
  static void start() throws IOException, InterruptedException {
    upstream = TestUpstream.start("big", (req, ex) -> {
      if (req.target().equals("/download")) {
        ex.respondStreaming(GIB);
      } else {
        ex.respond(200, Map.of("Content-Type", "text/plain"), "received " + req.bodyLength());
      }
    });
    configDir = Files.createTempDirectory("sluice-large");
    dataDir = Files.createTempDirectory("sluice-large-data");
    Files.writeString(configDir.resolve("config.yaml"), GatewayFixture.simpleProxy(0, upstream.address()));
    sluice = ServerProcess.start(List.of("-Xmx256m", "-XX:MaxDirectMemorySize=256m"),
        "serve", "--config-dir", configDir.toString(), "--event-loops", "2", "--data-dir", dataDir.toString(),
        "--admin-address", "127.0.0.1:0");
    port = sluice.awaitListener("main");
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      if (sluice != null) sluice.close();
    } finally {
      if (upstream != null) upstream.close();
      if (configDir != null) ServerProcess.deleteRecursively(configDir);
      if (dataDir != null) ServerProcess.deleteRecursively(dataDir);
    }
  }

  @AfterEach
  void gatewayIsStillAliveAndServing() throws IOException {
    assertThat(sluice.isAlive()).as(sluice.describeOutput()).isTrue();
    try (RawConnection c = RawConnection.open(port)) {
      RawConnection.Response r = c.send("POST /small HTTP/1.1\r\nHost: big\r\nContent-Length: 2\r\n\r\nhi").readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("received 2");
    }
    assertThat(sluice.stderr()).doesNotContain("ERROR", "WARN", "LEAK", "OutOfMemoryError");
    upstream.received().clear();
  }

  @Test
  void aOneGibDownloadArrivesCompleteAndByteForByte() throws IOException {
    // The pattern byte i == (byte) i repeats every 256 bytes; a block of it shifted by any offset
    // is a window of this array.
    byte[] expected = TestUpstream.pattern(BLOCK + 256);
    try (RawConnection c = RawConnection.open(port)) {
      c.socket().setSoTimeout(30_000);
      c.send("GET /download HTTP/1.1\r\nHost: big\r\n\r\n");
      InputStream in = c.input();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200 ");
      assertThat(head).containsIgnoringCase("\r\nContent-Length: " + GIB + "\r\n");

      byte[] buf = new byte[BLOCK];
      long received = 0;
      while (received < GIB) {
        int n = in.read(buf, 0, (int) Math.min(BLOCK, GIB - received));
        assertThat(n).as("end of stream after %d of %d bytes", received, GIB).isPositive();
        int shift = (int) (received & 0xff);
        int mismatch = Arrays.mismatch(buf, 0, n, expected, shift, shift + n);
        if (mismatch >= 0) {
          throw new AssertionError("byte " + (received + mismatch) + " is " + buf[mismatch] + ", expected "
              + expected[shift + mismatch]);
        }
        received += n;
      }
      assertThat(received).isEqualTo(GIB);
      // Nothing after the body: the next thing on the connection is the next response.
      RawConnection.Response next = c.send("POST /after HTTP/1.1\r\nHost: big\r\nContent-Length: 0\r\n\r\n").readResponse();
      assertThat(next.body()).isEqualTo("received 0");
    }
  }

  @Test
  void aOneGibUploadWithContentLengthReachesTheUpstreamComplete() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.socket().setSoTimeout(30_000);
      OutputStream out = c.socket().getOutputStream();
      out.write(("PUT /upload HTTP/1.1\r\nHost: big\r\nContent-Length: " + GIB + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      CRC32 crc = new CRC32();
      byte[] block = TestUpstream.pattern(BLOCK);
      for (long sent = 0, index = 0; sent < GIB; sent += BLOCK, index++) {
        stamp(block, index);
        crc.update(block);
        out.write(block);
      }
      out.flush();

      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("received " + GIB);
      TestUpstream.Received got = upstream.take();
      assertThat(got.target()).isEqualTo("/upload");
      assertThat(got.header("Content-Length")).isEqualTo(Long.toString(GIB));
      assertThat(got.bodyLength()).isEqualTo(GIB);
      assertThat(got.bodyCrc32()).isEqualTo(crc.getValue());
    }
  }

  @Test
  void aOneGibChunkedUploadReachesTheUpstreamComplete() throws Exception {
    try (RawConnection c = RawConnection.open(port)) {
      c.socket().setSoTimeout(30_000);
      OutputStream out = c.socket().getOutputStream();
      out.write("PUT /upload HTTP/1.1\r\nHost: big\r\nTransfer-Encoding: chunked\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      CRC32 crc = new CRC32();
      byte[] block = TestUpstream.pattern(BLOCK);
      byte[] size = (Integer.toHexString(BLOCK) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
      byte[] crlf = "\r\n".getBytes(StandardCharsets.ISO_8859_1);
      for (long sent = 0, index = 0; sent < GIB; sent += BLOCK, index++) {
        stamp(block, index);
        crc.update(block);
        out.write(size);
        out.write(block);
        out.write(crlf);
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();

      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("received " + GIB);
      TestUpstream.Received got = upstream.take();
      assertThat(got.target()).isEqualTo("/upload");
      assertThat(got.header("Transfer-Encoding")).isEqualTo("chunked");
      assertThat(got.bodyLength()).isEqualTo(GIB);
      assertThat(got.bodyCrc32()).isEqualTo(crc.getValue());
    }
  }

  /** Writes the block's index into its first 8 bytes, so a lost, repeated or reordered block changes the CRC. */
  private static void stamp(byte[] block, long index) {
    for (int i = 0; i < 8; i++) block[i] = (byte) (index >>> (8 * i));
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (!sb.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) throw new IOException("connection closed inside the response head: " + sb);
      sb.append((char) b);
    }
    return sb.toString();
  }
}
