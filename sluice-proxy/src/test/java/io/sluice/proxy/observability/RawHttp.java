package io.sluice.proxy.observability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** One request on its own connection, with the exact bytes each way: what the gateway must count. */
final class RawHttp {
  record Exchange(int status, String head, String body, int requestBytes, int responseBytes) {}

  private RawHttp() {}

  /** Sends {@code request} as is, reads one Content-Length response. */
  static Exchange exchange(int port, String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      byte[] req = request.getBytes(StandardCharsets.ISO_8859_1);
      s.getOutputStream().write(req);
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int state = 0;
      while (state < 4) {
        int b = in.read();
        if (b < 0) throw new IOException("connection closed inside the response head");
        head.write(b);
        state = switch (state) {
          case 0, 2 -> b == '\r' ? state + 1 : 0;
          case 1, 3 -> b == '\n' ? state + 1 : 0;
          default -> 0;
        };
      }
      String h = head.toString(StandardCharsets.ISO_8859_1);
      int length = 0;
      for (String line : h.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) length = Integer.parseInt(line.substring(15).strip());
      }
      byte[] body = in.readNBytes(length);
      int status = Integer.parseInt(h.substring(9, 12));
      return new Exchange(status, h, new String(body, StandardCharsets.UTF_8), req.length, head.size() + body.length);
    }
  }

  static String get(String path, String... headers) {
    StringBuilder sb = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: test.local\r\n");
    for (String h : headers) sb.append(h).append("\r\n");
    return sb.append("Connection: close\r\n\r\n").toString();
  }
}
