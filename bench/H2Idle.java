import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens N idle HTTP/2 (h2c, prior knowledge) connections to 127.0.0.1:PORT and holds them: each sends
 * the connection preface, an empty SETTINGS and the ACK of the gateway's SETTINGS, reads what the
 * gateway sends (its SETTINGS and connection WINDOW_UPDATE), then sits. Prints "ready N" once every
 * connection is set up, and holds them until its standard input closes. Run by bench/h2-idle.sh.
 *
 * <p>Usage: java bench/H2Idle.java PORT N
 */
public final class H2Idle {
  private static final byte[] HELLO;

  static {
    byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] settings = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    byte[] ack = {0, 0, 0, 4, 1, 0, 0, 0, 0};
    HELLO = new byte[preface.length + settings.length + ack.length];
    System.arraycopy(preface, 0, HELLO, 0, preface.length);
    System.arraycopy(settings, 0, HELLO, preface.length, settings.length);
    System.arraycopy(ack, 0, HELLO, preface.length + settings.length, ack.length);
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int n = Integer.parseInt(args[1]);
    List<SocketChannel> open = new ArrayList<>(n);
    ByteBuffer in = ByteBuffer.allocate(4096);
    for (int i = 0; i < n; i++) {
      SocketChannel c = SocketChannel.open();
      c.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
      c.connect(new InetSocketAddress("127.0.0.1", port));
      c.write(ByteBuffer.wrap(HELLO));
      // The gateway's SETTINGS frame at least (9-byte header + 6 per setting): the connection is HTTP/2 now.
      in.clear();
      while (in.position() < 9) {
        if (c.read(in) < 0) throw new IOException("connection " + i + " closed by the gateway");
      }
      open.add(c);
    }
    System.out.println("ready " + open.size());
    System.out.flush();
    while (System.in.read() >= 0) {
      // hold the connections until stdin closes
    }
    for (SocketChannel c : open) c.close();
  }
}
