package io.sluice.proxy.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An upstream the test drives by hand, one connection at a time: the test accepts the gateway's
 * connection, reads exactly the bytes it wants (the raw framing of a body, or nothing at all while
 * it pauses) and writes exactly the bytes it wants. For what {@link TestUpstream}, which reads each
 * request whole and decodes it, cannot show.
 */
public final class RawUpstream implements AutoCloseable {
  private final ServerSocket server;

  private RawUpstream(ServerSocket server) {
    this.server = server;
  }

  public static RawUpstream start() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    s.setSoTimeout(10_000);
    return new RawUpstream(s);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** {@code 127.0.0.1:port}, as an Upstream endpoint address. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  /** The next connection from the gateway, waiting up to 10 s. */
  public Conn accept() throws IOException {
    return new Conn(server.accept());
  }

  /** One accepted connection. */
  public static final class Conn implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Conn(Socket socket) throws IOException {
      this.socket = socket;
      socket.setSoTimeout(10_000);
      socket.setTcpNoDelay(true);
      this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
      this.out = socket.getOutputStream();
    }

    public Socket socket() {
      return socket;
    }

    public InputStream input() {
      return in;
    }

    /** Reads a head up to and including the empty line, returned as ISO-8859-1 text. */
    public String readHead() throws IOException {
      return new String(readUntil("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1);
    }

    /** Reads up to and including {@code terminator}. */
    public byte[] readUntil(byte[] terminator) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < terminator.length) {
        int c = in.read();
        if (c < 0) throw new IOException("end of stream after " + b.size() + " bytes: " + b.toString(StandardCharsets.ISO_8859_1));
        b.write(c);
        if (c == (terminator[matched] & 0xff)) {
          matched++;
        } else {
          byte[] sofar = b.toByteArray();
          matched = 0;
          // restart the match at the longest suffix that is a prefix of the terminator (terminators here are short)
          for (int k = Math.min(terminator.length - 1, sofar.length); k > 0; k--) {
            if (Arrays.equals(sofar, sofar.length - k, sofar.length, terminator, 0, k)) {
              matched = k;
              break;
            }
          }
        }
      }
      return b.toByteArray();
    }

    public byte[] readN(int n) throws IOException {
      byte[] b = in.readNBytes(n);
      if (b.length != n) throw new IOException("end of stream after " + b.length + " of " + n + " bytes");
      return b;
    }

    public Conn write(String s) throws IOException {
      return write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    public Conn write(byte[] b) throws IOException {
      out.write(b);
      out.flush();
      return this;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
