package io.sluice.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket for tests that need what a library hides: the handshake
 * bytes as sent and received, frames one at a time, a client that stops reading.
 */
public final class RawWebSocket implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  /** The server's handshake response head, as received. */
  public final String responseHead;

  /** A frame as received: its opcode and payload. */
  public record Frame(int opcode, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** A close frame's code. */
    public int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }

    /** A close frame's reason. */
    public String closeReason() {
      return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
    }
  }

  private RawWebSocket(Socket socket, String responseHead) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new DataInputStream(socket.getInputStream());
    this.responseHead = responseHead;
  }

  /** A valid handshake request for {@code path}, with a fresh key. */
  public static String handshake(String path, String... extraHeaders) {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    StringBuilder b = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n");
    for (String h : extraHeaders) b.append(h).append("\r\n");
    return b.append("\r\n").toString();
  }

  /** Connects to {@code port}, sends {@code request} and reads the response head (whatever its status). */
  public static RawWebSocket connect(int port, String request) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(20_000);
    s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int c = in.read();
      if (c < 0) break;
      head.write(c);
      matched = (c == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (c == '\r' ? 1 : 0);
    }
    return new RawWebSocket(s, head.toString(StandardCharsets.ISO_8859_1));
  }

  /** The status code of the handshake response. */
  public int status() {
    return responseHead.length() < 12 ? -1 : Integer.parseInt(responseHead.substring(9, 12));
  }

  /** What is left after the head, up to the end of the connection: an error response's body. */
  public String rest() throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  /** The response body by its Content-Length (the connection may stay open). */
  public String body() throws IOException {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\r\ncontent-length: *(\\d+)\r\n").matcher(responseHead);
    if (!m.find()) throw new AssertionError("no Content-Length in " + responseHead);
    return new String(in.readNBytes(Integer.parseInt(m.group(1))), StandardCharsets.ISO_8859_1);
  }

  public void sendText(String text) throws IOException {
    send(1, text.getBytes(StandardCharsets.UTF_8));
  }

  /** One masked frame with FIN set (as a client must send). */
  public void send(int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(0x80 | opcode);
    int n = payload.length;
    if (n < 126) {
      f.write(0x80 | n);
    } else if (n < 65536) {
      f.write(0x80 | 126);
      f.write(n >> 8);
      f.write(n);
    } else {
      f.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) f.write((int) ((long) n >> (8 * i)));
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < n; i++) f.write(payload[i] ^ mask[i & 3]);
    out.write(f.toByteArray());
    out.flush();
  }

  /** Sends a close frame with {@code code} and {@code reason}. */
  public void sendClose(int code, String reason) throws IOException {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[2 + r.length];
    p[0] = (byte) (code >> 8);
    p[1] = (byte) code;
    System.arraycopy(r, 0, p, 2, r.length);
    send(8, p);
  }

  /** Reads one frame (the server's are not masked). */
  public Frame read() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long n = b1 & 0x7f;
    if (n == 126) {
      n = in.readUnsignedShort();
    } else if (n == 127) {
      n = in.readLong();
    }
    byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : null;
    byte[] payload = new byte[(int) n];
    in.readFully(payload);
    if (mask != null) {
      for (int i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    }
    return new Frame(b0 & 0x0f, payload);
  }

  /** Whether the server closed the connection: the next read sees its end. */
  public boolean isClosedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (EOFException e) {
      return true;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
