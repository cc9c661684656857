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
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * A real HTTP/1.1 upstream on 127.0.0.1 for tests, written on plain sockets so that it records
 * exactly what reached it: the raw head, every header as sent, the body (its length and CRC32 always,
 * its bytes up to {@link #MAX_KEPT_BODY}). Each connection is served on a virtual thread; keep-alive
 * is honoured.
 *
 * <p>The handler decides the response; {@link Exchange} writes fixed, chunked or streamed bodies,
 * or raw bytes for misbehaving-upstream tests.
 */
public final class TestUpstream implements AutoCloseable {
  public static final int MAX_KEPT_BODY = 1 << 20;

  /** Answers one request. Runs on the connection's virtual thread; may block. */
  @FunctionalInterface
  public interface Handler {
    void handle(Received request, Exchange exchange) throws IOException;
  }

  /** A request as the upstream received it. */
  public record Received(
      String method, String target, String version, List<Map.Entry<String, String>> headers,
      byte[] body, long bodyLength, long bodyCrc32, String rawHead, int connectionId) {

    /** The first value of a header (case-insensitive name), or null. */
    public @Nullable String header(String name) {
      for (Map.Entry<String, String> h : headers) {
        if (h.getKey().equalsIgnoreCase(name)) return h.getValue();
      }
      return null;
    }

    /** How many times a header occurs. */
    public long headerCount(String name) {
      return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).count();
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final ServerSocket server;
  private final Handler handler;
  private final String name;
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final Map<Socket, Boolean> open = new ConcurrentHashMap<>();
  private final Thread acceptor;
  private volatile boolean closed;

  private TestUpstream(String name, Handler handler, int port) throws IOException {
    this.name = name;
    this.handler = handler;
    this.server = new ServerSocket();
    this.server.setReuseAddress(true);
    this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    this.acceptor = Thread.ofPlatform().daemon().name("test-upstream-" + name).start(this::acceptLoop);
  }

  /** Starts an upstream on a free port. */
  public static TestUpstream start(String name, Handler handler) throws IOException {
    return new TestUpstream(name, handler, 0);
  }

  /** Starts an upstream on a given port (to bring back an endpoint that was down). */
  public static TestUpstream startOnPort(String name, int port, Handler handler) throws IOException {
    return new TestUpstream(name, handler, port);
  }

  /** An upstream that answers 200 with its name as the body. */
  public static TestUpstream named(String name) throws IOException {
    return start(name, (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), name));
  }

  public int port() {
    return server.getLocalPort();
  }

  /** {@code 127.0.0.1:port}, as an Upstream endpoint address. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  public String name() {
    return name;
  }

  /** The requests received so far, in order; take them with {@link #take()}. */
  public BlockingQueue<Received> received() {
    return received;
  }

  /** The next received request, waiting up to 10 s. */
  public Received take() throws InterruptedException {
    Received r = received.poll(10, TimeUnit.SECONDS);
    if (r == null) throw new AssertionError("upstream " + name + " received no request within 10 s");
    return r;
  }

  /** Connections accepted since start. */
  public int connectionsAccepted() {
    return connections.get();
  }

  /** Connections open now (accepted and not yet closed by either side). */
  public int openConnections() {
    return open.size();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        int id = connections.incrementAndGet();
        open.put(s, true);
        Thread.ofVirtual().name("test-upstream-" + name + "-conn-" + id).start(() -> serve(s, id));
      } catch (IOException e) {
        if (!closed) throw new IllegalStateException(e);
      }
    }
  }

  private void serve(Socket s, int id) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
      OutputStream out = s.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) return;
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ", 3);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
          int colon = lines[i].indexOf(':');
          headers.add(Map.entry(lines[i].substring(0, colon), lines[i].substring(colon + 1).strip()));
        }
        Received partial = new Received(requestLine[0], requestLine[1], requestLine[2], List.copyOf(headers),
            new byte[0], 0, 0, head, id);
        BodyReader body = new BodyReader(in, partial);
        body.readAll();
        Received r = new Received(partial.method(), partial.target(), partial.version(), partial.headers(),
            body.kept.toByteArray(), body.length, body.crc.getValue(), head, id);
        received.add(r);
        Exchange ex = new Exchange(s, out);
        handler.handle(r, ex);
        out.flush();
        String conn = r.header("connection");
        if (ex.closeAfter || (conn != null && conn.toLowerCase(Locale.ROOT).contains("close"))) return;
      }
    } catch (SocketException e) {
      // the gateway closed or reset the connection; that is its right
    } catch (IOException e) {
      if (!closed) System.err.println("test upstream " + name + ": " + e);
    } finally {
      open.remove(s);
    }
  }

  /** Reads up to and including the empty line; null on a clean end of stream before any byte. */
  private static @Nullable String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) return null;
        throw new IOException("end of stream inside a request head");
      }
      head.write(b);
      state = switch (state) {
        case 0, 2 -> b == '\r' ? state + 1 : 0;
        case 1, 3 -> b == '\n' ? state + 1 : 0;
        default -> 0;
      };
    }
    String s = head.toString(StandardCharsets.ISO_8859_1);
    return s.substring(0, s.length() - 4);
  }

  private static final class BodyReader {
    final InputStream in;
    final Received head;
    final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    final CRC32 crc = new CRC32();
    long length;

    BodyReader(InputStream in, Received head) {
      this.in = in;
      this.head = head;
    }

    void readAll() throws IOException {
      String te = head.header("transfer-encoding");
      String cl = head.header("content-length");
      if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
        while (true) {
          String sizeLine = readLine();
          int semi = sizeLine.indexOf(';');
          long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip(), 16);
          if (size == 0) {
            while (!readLine().isEmpty()) {
              // trailers
            }
            return;
          }
          copy(size);
          if (!readLine().isEmpty()) throw new IOException("missing CRLF after chunk");
        }
      } else if (cl != null) {
        copy(Long.parseLong(cl));
      }
    }

    private void copy(long n) throws IOException {
      byte[] buf = new byte[64 * 1024];
      while (n > 0) {
        int r = in.read(buf, 0, (int) Math.min(buf.length, n));
        if (r < 0) throw new IOException("end of stream inside a body");
        crc.update(buf, 0, r);
        if (kept.size() < MAX_KEPT_BODY) kept.write(buf, 0, Math.min(r, MAX_KEPT_BODY - kept.size()));
        length += r;
        n -= r;
      }
    }

    private String readLine() throws IOException {
      StringBuilder sb = new StringBuilder();
      int b;
      while ((b = in.read()) != '\n') {
        if (b < 0) throw new IOException("end of stream inside a line");
        if (b != '\r') sb.append((char) b);
      }
      return sb.toString();
    }
  }

  /** Writes the response to one request. */
  public static final class Exchange {
    private final Socket socket;
    private final OutputStream out;
    boolean closeAfter;

    Exchange(Socket socket, OutputStream out) {
      this.socket = socket;
      this.out = out;
    }

    public void respond(int status, Map<String, String> headers, String body) throws IOException {
      respond(status, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    public void respond(int status, Map<String, String> headers, byte[] body) throws IOException {
      StringBuilder h = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n");
      headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
      if (headers.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("content-length"))) {
        h.append("Content-Length: ").append(body.length).append("\r\n");
      }
      h.append("\r\n");
      out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
    }

    /** A chunked response with the given chunks. */
    public void respondChunked(int status, Map<String, String> headers, List<String> chunks) throws IOException {
      StringBuilder h = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n");
      headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
      h.append("Transfer-Encoding: chunked\r\n\r\n");
      out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
      for (String c : chunks) {
        byte[] b = c.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /**
     * Streams {@code length} bytes of a repeating pattern (byte i is {@code (byte) i}) with a
     * Content-Length, without holding them in memory.
     */
    public void respondStreaming(long length) throws IOException {
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + length
          + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      byte[] block = pattern(64 * 1024);
      long left = length;
      while (left > 0) {
        int n = (int) Math.min(block.length, left);
        out.write(block, 0, n);
        left -= n;
      }
      out.flush();
    }

    /** The connection's output, for handlers that write a response their own way (e.g. counting what got out). */
    public OutputStream output() {
      return out;
    }

    /** Writes bytes as they are, for upstreams that break the protocol on purpose. */
    public void raw(String bytes) throws IOException {
      out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** Closes the connection after this response (or instead of one, if none was written). */
    public void close() throws IOException {
      closeAfter = true;
      socket.close();
    }

    /** Resets the connection (RST) instead of answering. */
    public void reset() throws IOException {
      closeAfter = true;
      socket.setSoLinger(true, 0);
      socket.close();
    }
  }

  /** The bytes {@link Exchange#respondStreaming} sends, for checking what arrived. */
  public static byte[] pattern(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) b[i] = (byte) i;
    return b;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : open.keySet()) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
