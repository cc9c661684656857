package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.RawUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WasmTrailersTest {
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) throw new IOException("closed mid-line");
      if (c != '\r') b.write(c);
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aPluginReadsAndEditsTheRequestTrailersOfAStreamedBody() throws Exception {
    try (RawUpstream raw = RawUpstream.start();
        GatewayFixture gw = Plugins.gateway(raw.address(), Plugins.filter("trailers", "streamRequestBody: 64KiB"));
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("POST /t HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n0\r\nX-Sum: 5\r\nX-Drop: 1\r\n\r\n");
      try (RawUpstream.Conn u = raw.accept()) {
        assertThat(u.readHead()).contains("\r\nTransfer-Encoding: chunked\r\n");
        StringBuilder body = new StringBuilder();
        while (true) {
          int size = Integer.parseInt(line(u.input()), 16);
          if (size == 0) break;
          body.append(new String(u.input().readNBytes(size), StandardCharsets.ISO_8859_1));
          assertThat(line(u.input())).isEmpty();
        }
        List<String> trailers = new ArrayList<>();
        for (String l = line(u.input()); !l.isEmpty(); l = line(u.input())) trailers.add(l);
        assertThat(body.toString()).isEqualTo("hello");
        assertThat(trailers).containsExactly("X-Sum: 5", "x-wasm-trailer: saw-5");
        u.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      }
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
    }
  }
}
