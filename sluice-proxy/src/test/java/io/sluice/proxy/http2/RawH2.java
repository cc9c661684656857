package io.sluice.proxy.http2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A raw HTTP/2 client over a plain socket, for attacks a well-behaved client library will not make:
 * frames are written byte by byte as the test says, HPACK by Netty's encoder (or by hand for a bomb),
 * and what the gateway sends back is read frame by frame.
 */
final class RawH2 implements AutoCloseable {
  static final int DATA = 0;
  static final int HEADERS = 1;
  static final int RST_STREAM = 3;
  static final int SETTINGS = 4;
  static final int PING = 6;
  static final int GOAWAY = 7;
  static final int WINDOW_UPDATE = 8;
  static final int CONTINUATION = 9;
  static final int END_STREAM = 1;
  static final int END_HEADERS = 4;
  static final int ACK = 1;
  static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  record Frame(int type, int flags, int stream, byte[] payload) {
    /** GOAWAY's error code, RST_STREAM's. */
    int errorCode() {
      int at = type == GOAWAY ? 4 : 0;
      return ((payload[at] & 0xff) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8) | (payload[at + 3] & 0xff);
    }

    /** GOAWAY's last stream id. */
    int lastStreamId() {
      return (((payload[0] & 0x7f) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8) | (payload[3] & 0xff));
    }
  }

  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
  private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);

  private RawH2(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new DataInputStream(socket.getInputStream());
  }

  /**
   * Connects and sends the preface and a SETTINGS frame with {@code settings} (id, value pairs).
   *
   * @param receiveBuffer the socket's receive buffer (small: a client that reads slowly fills it soon), or 0 for the default
   */
  static RawH2 connect(int port, int receiveBuffer, int... settings) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(10_000);
    RawH2 c = new RawH2(s);
    c.out.write(PREFACE);
    byte[] p = new byte[settings.length / 2 * 6];
    for (int i = 0; i < settings.length; i += 2) {
      int at = i / 2 * 6;
      p[at] = (byte) (settings[i] >> 8);
      p[at + 1] = (byte) settings[i];
      for (int k = 0; k < 4; k++) p[at + 2 + k] = (byte) (settings[i + 1] >> (24 - 8 * k));
    }
    c.frame(SETTINGS, 0, 0, p);
    c.frame(SETTINGS, ACK, 0, new byte[0]);
    return c;
  }

  void frame(int type, int flags, int stream, byte[] payload) throws IOException {
    out.write(header(type, flags, stream, payload.length));
    out.write(payload);
    out.flush();
  }

  static byte[] header(int type, int flags, int stream, int length) {
    return new byte[] {(byte) (length >> 16), (byte) (length >> 8), (byte) length, (byte) type, (byte) flags,
        (byte) (stream >> 24), (byte) (stream >> 16), (byte) (stream >> 8), (byte) stream};
  }

  /** A request's header block, HPACK-encoded by Netty (names as given: no validation). */
  byte[] block(String method, String path, String... fields) throws Exception {
    Http2Headers h = new DefaultHttp2Headers(false).method(method).path(path).scheme("http").authority("127.0.0.1");
    for (int i = 0; i < fields.length; i += 2) h.add(fields[i], fields[i + 1]);
    ByteBuf buf = Unpooled.buffer();
    try {
      encoder.encodeHeaders(0, h, buf);
      byte[] b = new byte[buf.readableBytes()];
      buf.readBytes(b);
      return b;
    } finally {
      buf.release();
    }
  }

  void request(int stream, boolean endStream, String method, String path, String... fields) throws Exception {
    frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, block(method, path, fields));
  }

  void rst(int stream, int code) throws IOException {
    frame(RST_STREAM, 0, stream, new byte[] {(byte) (code >> 24), (byte) (code >> 16), (byte) (code >> 8), (byte) code});
  }

  /** The next frame, or null at the end of the connection (EOF or reset). */
  Frame read() throws IOException {
    try {
      int len = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      int flags = in.readUnsignedByte();
      int stream = in.readInt() & 0x7fffffff;
      byte[] payload = new byte[len];
      in.readFully(payload);
      return new Frame(type, flags, stream, payload);
    } catch (EOFException | java.net.SocketException e) {
      return null;
    }
  }

  /** Frames until one of {@code type} (returned) or the end of the connection (null); fails after {@code within}. */
  Frame until(int type, Duration within) throws IOException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      Frame f;
      try {
        f = read();
      } catch (SocketTimeoutException e) {
        continue;
      }
      if (f == null || f.type() == type) return f;
      if (f.type() == HEADERS) decode(f);
    }
    throw new AssertionError("no frame of type " + type + " within " + within);
  }

  /** Whether the gateway closed the connection within {@code within} (reading and dropping what it sends meanwhile). */
  boolean closedWithin(Duration within) throws IOException {
    long deadline = System.nanoTime() + within.toNanos();
    socket.setSoTimeout(200);
    while (System.nanoTime() < deadline) {
      try {
        Frame f = read();
        if (f == null) return true;
        if (f.type() == HEADERS) decode(f);
      } catch (SocketTimeoutException e) {
        // nothing yet
      }
    }
    return false;
  }

  /** A HEADERS frame's header list (the decoder keeps the connection's HPACK state). */
  Http2Headers decode(Frame f) {
    int at = 0;
    int end = f.payload().length;
    if ((f.flags() & 0x8) != 0) end -= f.payload()[at++] & 0xff; // PADDED
    if ((f.flags() & 0x20) != 0) at += 5; // PRIORITY
    ByteBuf b = Unpooled.wrappedBuffer(f.payload(), at, end - at);
    try {
      return decoder.decodeHeaders(f.stream(), b);
    } catch (Exception e) {
      throw new AssertionError("cannot decode a header block from the gateway", e);
    } finally {
      b.release();
    }
  }

  /** Reads a response on {@code stream}: its header list and the body up to END_STREAM (failing on RST_STREAM or the end). */
  Response response(int stream, Duration within) throws IOException {
    long deadline = System.nanoTime() + within.toNanos();
    Http2Headers head = null;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (System.nanoTime() < deadline) {
      Frame f;
      try {
        f = read();
      } catch (SocketTimeoutException e) {
        continue;
      }
      if (f == null) throw new AssertionError("the connection ended before the response on stream " + stream);
      if (f.type() == HEADERS) {
        Http2Headers h = decode(f);
        if (f.stream() == stream && head == null) head = h;
      }
      if (f.stream() != stream) continue;
      if (f.type() == RST_STREAM) throw new AssertionError("stream " + stream + " reset with code " + f.errorCode());
      if (f.type() == DATA) body.write(f.payload());
      if ((f.type() == DATA || f.type() == HEADERS) && (f.flags() & END_STREAM) != 0 && head != null) {
        return new Response(head, body.toString(StandardCharsets.UTF_8));
      }
    }
    throw new AssertionError("no complete response on stream " + stream + " within " + within);
  }

  record Response(Http2Headers headers, String body) {
    String status() {
      return String.valueOf(headers.status());
    }
  }

  /** How long {@link #read} waits before it throws {@link SocketTimeoutException}. */
  void readTimeout(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
  }

  void write(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
