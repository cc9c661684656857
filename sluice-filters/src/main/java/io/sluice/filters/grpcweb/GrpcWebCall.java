package io.sluice.filters.grpcweb;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One gRPC-Web call on its way through the {@code grpc-web} filter: its mode (binary or base64
 * text), the request body's decoding and checking, and the response body's encoding. Kept in an
 * exchange attribute from the request phase on.
 *
 * <p>Not thread-safe: the exchange's event loop.
 */
final class GrpcWebCall {
  final boolean text;
  /** The content-type suffix of the request ({@code +proto}, ...), or "". */
  final String suffix;
  final FrameChecker frames = new FrameChecker();
  final Base64Pieces requestBase64 = new Base64Pieces();
  final Base64Pieces responseBase64 = new Base64Pieces();
  /** Why the request body is malformed, once it is; the rest of the body is then dropped. */
  @Nullable String malformed;
  /** Whether the response is a gRPC response whose body this filter turns into gRPC-Web. */
  boolean transcodeResponse;

  private GrpcWebCall(boolean text, String suffix) {
    this.text = text;
    this.suffix = suffix;
  }

  /**
   * The call a request with {@code contentType} is, or null when it is not gRPC-Web:
   * {@code application/grpc-web}, {@code application/grpc-web-text}, each optionally with a
   * {@code +format} suffix and parameters.
   */
  static @Nullable GrpcWebCall of(@Nullable String contentType) {
    if (contentType == null) return null;
    String type = contentType.toLowerCase(Locale.ROOT);
    int semi = type.indexOf(';');
    if (semi >= 0) type = type.substring(0, semi);
    type = type.strip();
    boolean text;
    String rest;
    if (type.startsWith("application/grpc-web-text")) {
      text = true;
      rest = type.substring("application/grpc-web-text".length());
    } else if (type.startsWith("application/grpc-web")) {
      text = false;
      rest = type.substring("application/grpc-web".length());
    } else {
      return null;
    }
    if (!rest.isEmpty() && rest.charAt(0) != '+') return null;
    return new GrpcWebCall(text, rest);
  }

  /** The content type the request goes upstream with. */
  String upstreamContentType() {
    return "application/grpc" + suffix;
  }

  /**
   * The gRPC-Web content type of a response whose upstream content type is {@code grpcType}, or
   * null when that is not gRPC ({@code application/grpc} with an optional suffix).
   */
  @Nullable String responseContentType(@Nullable String grpcType) {
    if (grpcType == null) return null;
    String type = grpcType.toLowerCase(Locale.ROOT);
    int semi = type.indexOf(';');
    if (semi >= 0) type = type.substring(0, semi);
    type = type.strip();
    if (!type.startsWith("application/grpc")) return null;
    String rest = type.substring("application/grpc".length());
    if (!rest.isEmpty() && rest.charAt(0) != '+') return null;
    return (text ? "application/grpc-web-text" : "application/grpc-web") + rest;
  }

  /**
   * A trailer frame: flags 0x80, the 4-byte length, then the fields as HTTP/1.1 header lines
   * ({@code name:value\r\n}, names in lower case), as the gRPC-Web protocol says.
   */
  static byte[] trailerFrame(Iterable<String[]> fields) {
    StringBuilder s = new StringBuilder();
    for (String[] f : fields) s.append(f[0].toLowerCase(Locale.ROOT)).append(':').append(f[1]).append("\r\n");
    byte[] block = s.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] frame = new byte[5 + block.length];
    frame[0] = (byte) 0x80;
    frame[1] = (byte) (block.length >>> 24);
    frame[2] = (byte) (block.length >>> 16);
    frame[3] = (byte) (block.length >>> 8);
    frame[4] = (byte) block.length;
    System.arraycopy(block, 0, frame, 5, block.length);
    return frame;
  }
}
