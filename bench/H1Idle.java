import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens idle HTTP/1.1 keep-alive connections to 127.0.0.1:PORT in steps and holds them: each sends
 * one {@code GET PATH} and reads the whole response (so the connection has been through the request
 * path once, as a client's idle keep-alive connection has), then sits. For each count given it opens
 * connections up to that count, prints "ready COUNT" and waits for a line on standard input before
 * the next step; after the last it holds every connection until standard input closes. Run by
 * bench/footprint.sh.
 *
 * <p>Usage: java bench/H1Idle.java PORT PATH COUNT...
 */
public final class H1Idle {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    byte[] request = ("GET " + args[1] + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    List<SocketChannel> open = new ArrayList<>();
    ByteBuffer in = ByteBuffer.allocate(65536);
    for (int a = 2; a < args.length; a++) {
      int target = Integer.parseInt(args[a]);
      while (open.size() < target) {
        SocketChannel c = SocketChannel.open();
        c.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
        c.connect(new InetSocketAddress("127.0.0.1", port));
        c.write(ByteBuffer.wrap(request));
        in.clear();
        readResponse(c, in, open.size());
        open.add(c);
      }
      System.out.println("ready " + open.size());
      System.out.flush();
      if (a < args.length - 1 && stdin.readLine() == null) break;
    }
    while (System.in.read() >= 0) {
      // hold the connections until stdin closes
    }
    for (SocketChannel c : open) c.close();
  }

  /** Reads one response with a Content-Length body (what the bench backend sends). */
  private static void readResponse(SocketChannel c, ByteBuffer in, int index) throws IOException {
    while (true) {
      if (c.read(in) < 0) throw new IOException("connection " + index + " closed by the gateway");
      String s = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
      int end = s.indexOf("\r\n\r\n");
      if (end < 0) continue;
      if (!s.startsWith("HTTP/1.1 200")) throw new IOException("connection " + index + ": " + s.lines().findFirst().orElse(""));
      int at = s.toLowerCase().indexOf("\r\ncontent-length:");
      if (at < 0 || at > end) throw new IOException("connection " + index + ": no Content-Length");
      int length = Integer.parseInt(s.substring(at + 17, s.indexOf("\r\n", at + 2)).trim());
      if (in.position() >= end + 4 + length) return;
    }
  }
}
