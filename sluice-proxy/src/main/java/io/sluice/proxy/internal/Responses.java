package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.proxy.http1.ReasonPhrases;
import java.nio.charset.StandardCharsets;

/**
 * Responses the gateway makes itself when it cannot or will not proxy: a short JSON body
 * {@code {"status":502,"reason":"upstream_connect_failure","message":"..."}} and the same reason
 * code in the {@code X-Sluice-Reason} header, for clients, logs and metrics alike.
 */
public final class Responses {
  static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private Responses() {}

  static ByteBuf error(ByteBufAllocator alloc, int status, String reason, String message, boolean close, boolean headRequest) {
    StringBuilder body = new StringBuilder(96);
    body.append("{\"status\":").append(status).append(",\"reason\":");
    jsonString(body, reason);
    body.append(",\"message\":");
    jsonString(body, message);
    body.append("}\n");
    byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder(160);
    head.append("HTTP/1.1 ").append(status).append(' ').append(reasonPhrase(status)).append("\r\n")
        .append("Content-Type: application/json\r\n")
        .append("X-Sluice-Reason: ").append(reason).append("\r\n")
        .append("Content-Length: ").append(b.length).append("\r\n");
    if (close) head.append("Connection: close\r\n");
    head.append("\r\n");
    ByteBuf out = alloc.ioBuffer(head.length() + b.length);
    out.writeCharSequence(head, StandardCharsets.ISO_8859_1);
    if (!headRequest) out.writeBytes(b);
    return out;
  }

  public static void jsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c)); else sb.append(c);
        }
      }
    }
    sb.append('"');
  }

  public static String reasonPhrase(int status) {
    return ReasonPhrases.of(status);
  }
}
