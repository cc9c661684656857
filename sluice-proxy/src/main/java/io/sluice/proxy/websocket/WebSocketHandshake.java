package io.sluice.proxy.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.proxy.route.RequestView;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * The WebSocket opening handshake as a gateway checks it (RFC 6455 §4): the client's request before
 * anything reaches the upstream, the upstream's 101 before anything reaches the client. Stateless.
 */
public final class WebSocketHandshake {
  /** The {@code Upgrade} token of a WebSocket handshake. */
  public static final String PROTOCOL = "websocket";
  /** RFC 6455 §1.3: appended to the key before hashing it into {@code Sec-WebSocket-Accept}. */
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final byte[] UPGRADE_FIELDS =
      "Connection: Upgrade\r\nUpgrade: websocket\r\n".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] VERSION_FIELD = "Sec-WebSocket-Version: 13\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private WebSocketHandshake() {}

  /** Why a handshake is refused: the status (400, or 426 for an unsupported version) and what is wrong. */
  public record Refusal(int status, String message) {}

  /**
   * Whether the request asks to become a WebSocket: its {@code Upgrade} names {@code websocket}.
   * One header lookup, no allocation for a request without {@code Upgrade}.
   */
  public static boolean requested(RequestView h) {
    String upgrade = h.header("upgrade");
    return upgrade != null && hasToken(upgrade, "websocket");
  }

  /**
   * Checks a request that {@linkplain #requested asks for a WebSocket}; null when it is a valid
   * opening handshake (RFC 6455 §4.1, §4.2.1).
   *
   * @param http10 the request is HTTP/1.0 (an upgrade needs HTTP/1.1)
   * @param hasBody the request has a body (a handshake has none)
   */
  public static @Nullable Refusal check(RequestView h, boolean http10, boolean hasBody) {
    if (!h.method().equals("GET")) {
      return new Refusal(400, "a WebSocket handshake must be a GET, got " + h.method());
    }
    if (http10) return new Refusal(400, "a WebSocket handshake must be HTTP/1.1, got HTTP/1.0");
    if (hasBody) return new Refusal(400, "a WebSocket handshake has no body");
    String connection = h.header("connection");
    if (connection == null || !hasToken(connection, "upgrade")) {
      return new Refusal(400, "a WebSocket handshake needs Connection: Upgrade");
    }
    String version = h.header("sec-websocket-version");
    if (version == null || !version.trim().equals("13")) {
      return new Refusal(426, "Sec-WebSocket-Version must be 13, got " + (version == null ? "none" : "'" + version + "'"));
    }
    String key = h.header("sec-websocket-key");
    if (key == null || !isKey(key.trim())) {
      return new Refusal(400, "Sec-WebSocket-Key must be the base64 encoding of 16 bytes, got "
          + (key == null ? "none" : "'" + key + "'"));
    }
    return null;
  }

  private static boolean isKey(String key) {
    if (key.length() != 24) return false;
    try {
      return Base64.getDecoder().decode(key).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Whether the comma-separated list {@code value} holds {@code token} (case-insensitive). */
  static boolean hasToken(String value, String token) {
    int from = 0;
    while (from <= value.length()) {
      int comma = value.indexOf(',', from);
      int end = comma < 0 ? value.length() : comma;
      if (value.substring(from, end).trim().equalsIgnoreCase(token)) return true;
      if (comma < 0) return false;
      from = comma + 1;
    }
    return false;
  }

  /** The {@code Sec-WebSocket-Accept} an upstream must answer {@code key} with (RFC 6455 §4.2.2). */
  public static String accept(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key.trim() + GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is a required JDK algorithm", e);
    }
  }

  /**
   * Checks the upstream's 101 to the handshake whose key was {@code key}; null when it accepts the
   * WebSocket (RFC 6455 §4.1, the client's checks), else what is wrong.
   */
  public static @Nullable String checkResponse(String key, @Nullable String upgrade, @Nullable String accept) {
    if (upgrade == null || !hasToken(upgrade, "websocket")) {
      return "the upstream switched protocols to " + (upgrade == null ? "nothing" : "'" + upgrade + "'") + ", not websocket";
    }
    if (accept == null || !accept.trim().equals(accept(key))) {
      return "the upstream's Sec-WebSocket-Accept " + (accept == null ? "is missing" : "'" + accept + "' does not match the key");
    }
    return null;
  }

  /**
   * Adds {@code Connection: Upgrade} and {@code Upgrade: websocket} to the upstream's 101 as encoded
   * for an HTTP/1.1 client (ending with its empty line): the codec removes them as hop-by-hop, but
   * the client must get them. Returns the head (the same buffer). (The request to the upstream
   * gets them from its codec: {@code UpstreamRequest.upgrade}.)
   */
  public static ByteBuf withUpgradeFields(ByteBuf head) {
    return insertBeforeEnd(head, UPGRADE_FIELDS, null);
  }

  /**
   * Adds {@code Sec-WebSocket-Version: 13} to an encoded HTTP/1.1 response (head and body), as a
   * 426 must have it (RFC 6455 §4.4). Returns a new buffer and releases {@code response}.
   */
  public static ByteBuf withVersionField(ByteBuf response, ByteBufAllocator alloc) {
    return insertBeforeEnd(response, VERSION_FIELD, alloc);
  }

  /**
   * Inserts {@code field} before the empty line that ends the head in {@code buf}: in place when
   * {@code alloc} is null and the head is the whole buffer, else into a new buffer.
   */
  private static ByteBuf insertBeforeEnd(ByteBuf buf, byte[] field, @Nullable ByteBufAllocator alloc) {
    int end = -1;
    for (int i = buf.readerIndex(), n = buf.writerIndex() - 3; i < n; i++) {
      if (buf.getInt(i) == CRLF_CRLF) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new IllegalArgumentException("not an HTTP head: no empty line");
    int at = end + 2;
    if (alloc == null && at + 2 == buf.writerIndex()) {
      buf.writerIndex(at);
      buf.writeBytes(field);
      buf.writeShort(('\r' << 8) | '\n');
      return buf;
    }
    ByteBufAllocator a = alloc != null ? alloc : buf.alloc();
    ByteBuf out = a.ioBuffer(buf.readableBytes() + field.length);
    out.writeBytes(buf, buf.readerIndex(), at - buf.readerIndex());
    out.writeBytes(field);
    out.writeBytes(buf, at, buf.writerIndex() - at);
    buf.release();
    return out;
  }

  private static final int CRLF_CRLF = 0x0d0a0d0a;
}
