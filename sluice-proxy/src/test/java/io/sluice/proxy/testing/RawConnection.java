package io.sluice.proxy.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A client connection on a plain socket, for sending exactly the bytes a test wants (malformed
 * requests, pipelining, slow clients) and reading responses as they come.
 */
public final class RawConnection implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.socket.setSoTimeout(10_000);
    this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    this.out = socket.getOutputStream();
  }

  public static RawConnection open(int port) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    s.setTcpNoDelay(true);
    return new RawConnection(s);
  }

  /** A connection over {@code socket}, already connected (a TLS socket, say). */
  public static RawConnection over(Socket socket) throws IOException {
    return new RawConnection(socket);
  }

  /** Opens a connection with a small receive buffer, for slow-reader tests. */
  public static RawConnection openWithReceiveBuffer(int port, int bytes) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(bytes);
    s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return new RawConnection(s);
  }

  /** Sends text as ISO-8859-1 bytes, unchanged (no line-ending conversion). */
  public RawConnection send(String raw) throws IOException {
    out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  public RawConnection send(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
    return this;
  }

  public InputStream input() {
    return in;
  }

  public Socket socket() {
    return socket;
  }

  /** A response as read off the wire. */
  public record Response(int status, String statusLine, List<Map.Entry<String, String>> headers, String body) {
    public @Nullable String header(String name) {
      for (Map.Entry<String, String> h : headers) {
        if (h.getKey().equalsIgnoreCase(name)) return h.getValue();
      }
      return null;
    }

    public boolean hasHeader(String name) {
      return header(name) != null;
    }
  }

  /** Reads one response (Content-Length, chunked, or until close). Interim 1xx responses are returned too. */
  public Response readResponse() throws IOException {
    return readResponse(false);
  }

  /** Reads one response to a HEAD request: no body whatever the headers say. */
  public Response readHeadResponse() throws IOException {
    return readResponse(true);
  }

  private Response readResponse(boolean noBody) throws IOException {
    String statusLine = readLine();
    if (statusLine == null) throw new IOException("connection closed before a response");
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    String line;
    while ((line = readLine()) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      headers.add(Map.entry(line.substring(0, colon), line.substring(colon + 1).strip()));
    }
    Response head = new Response(status, statusLine, headers, "");
    if (noBody || status < 200 || status == 204 || status == 304) return head;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String te = head.header("transfer-encoding");
    String cl = head.header("content-length");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (true) {
        String size = readLine();
        long n = Long.parseLong(size.split(";")[0].strip(), 16);
        if (n == 0) {
          while (!readLine().isEmpty()) {
            // trailers
          }
          break;
        }
        body.write(in.readNBytes((int) n));
        readLine();
      }
    } else if (cl != null) {
      body.write(in.readNBytes(Integer.parseInt(cl)));
    } else {
      body.write(in.readAllBytes());
    }
    return new Response(status, statusLine, List.copyOf(headers), body.toString(StandardCharsets.UTF_8));
  }

  private @Nullable String readLine() throws IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) return sb.isEmpty() ? null : sb.toString();
      if (b != '\r') sb.append((char) b);
    }
    return sb.toString();
  }

  /** True when the peer closes (or resets) the connection within {@code timeout}, with no more bytes. */
  public boolean closedByPeer(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true; // reset
    } finally {
      socket.setSoTimeout(10_000);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
