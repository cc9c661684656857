package io.sluice.proxy.grpc;

import io.sluice.filter.LocalResponse;
import io.sluice.proxy.route.RequestView;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's own answers to gRPC calls: a request whose {@code content-type} is
 * {@code application/grpc} (or {@code application/grpc+proto}, ...) that the gateway answers
 * itself gets a trailers-only response, HTTP 200 with {@code grpc-status} and {@code grpc-message}
 * in its one header block, since gRPC clients read the status there and not in {@code :status}.
 * The HTTP status the gateway would have sent maps to a gRPC code as Envoy maps them, with the
 * timeouts as DEADLINE_EXCEEDED and 429 as RESOURCE_EXHAUSTED. Also: a call's {@code grpc-timeout}.
 *
 * <p>Stateless; any thread.
 */
public final class GrpcStatus {
  public static final int OK = 0;
  public static final int UNKNOWN = 2;
  public static final int DEADLINE_EXCEEDED = 4;
  public static final int PERMISSION_DENIED = 7;
  public static final int RESOURCE_EXHAUSTED = 8;
  public static final int UNIMPLEMENTED = 12;
  public static final int INTERNAL = 13;
  public static final int UNAVAILABLE = 14;
  public static final int UNAUTHENTICATED = 16;

  private GrpcStatus() {}

  /** Whether {@code request} is a gRPC call (gRPC-Web, {@code application/grpc-web*}, is not). */
  public static boolean isGrpc(RequestView request) {
    String type = request.header("content-type");
    if (type == null || !type.regionMatches(true, 0, "application/grpc", 0, 16)) return false;
    if (type.length() == 16) return true;
    char next = type.charAt(16);
    return next == '+' || next == ';';
  }

  /**
   * The gRPC code for the gateway's answer {@code status} with {@code reason} (its
   * {@code X-Sluice-Reason}): 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429
   * RESOURCE_EXHAUSTED, a response or request timeout DEADLINE_EXCEEDED, other 502, 503 and 504
   * UNAVAILABLE, 400 INTERNAL, anything else UNKNOWN.
   */
  public static int code(int status, @Nullable String reason) {
    if (reason != null) {
      switch (reason) {
        case "upstream_response_timeout", "upstream_request_timeout" -> {
          return DEADLINE_EXCEEDED;
        }
        default -> {}
      }
    }
    return switch (status) {
      case 400 -> INTERNAL;
      case 401 -> UNAUTHENTICATED;
      case 403 -> PERMISSION_DENIED;
      case 404 -> UNIMPLEMENTED;
      case 429 -> RESOURCE_EXHAUSTED;
      case 502, 503, 504 -> UNAVAILABLE;
      default -> UNKNOWN;
    };
  }

  /**
   * The trailers-only form of the gateway's answer {@code status}: HTTP 200,
   * {@code content-type: application/grpc}, {@code grpc-status}, {@code grpc-message} (percent-encoded
   * as the gRPC protocol says) and {@code x-sluice-reason}; with {@code original} (a filter's
   * answer), its other header fields too (such as {@code www-authenticate} or {@code retry-after}).
   */
  public static LocalResponse trailersOnly(int status, String reason, String message, @Nullable LocalResponse original) {
    LocalResponse.Builder b = LocalResponse.builder(200);
    if (original != null) {
      for (int i = 0; i < original.headerCount(); i++) {
        String name = original.headerName(i).toLowerCase(Locale.ROOT);
        switch (name) {
          case "content-type", "content-length", "x-sluice-reason", "grpc-status", "grpc-message" -> {}
          default -> b.header(original.headerName(i), original.headerValue(i));
        }
      }
    }
    return b.header("content-type", "application/grpc")
        .header("grpc-status", Integer.toString(code(status, reason)))
        .header("grpc-message", percentEncode(message))
        .header("x-sluice-reason", reason)
        .build();
  }

  /** {@code grpc-message}'s encoding: bytes outside printable ASCII, and {@code %}, as {@code %XX} of their UTF-8. */
  static String percentEncode(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length + 8);
    for (byte x : bytes) {
      int b = x & 0xff;
      if (b >= 0x20 && b <= 0x7e && b != '%') {
        sb.append((char) b);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  /**
   * A {@code grpc-status} value as a number (1 to 3 digits), or -1 when there is none or it is not
   * one. Allocates nothing.
   */
  public static int parse(@Nullable String value) {
    if (value == null || value.isEmpty() || value.length() > 3) return -1;
    int n = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  }

  /**
   * The call's {@code grpc-timeout} in nanoseconds ({@code 1-8 digits} and a unit: H, M, S, m, u,
   * n), or -1 when it has none or it is malformed.
   */
  public static long timeoutNanos(RequestView request) {
    String t = request.header("grpc-timeout");
    if (t == null || t.length() < 2 || t.length() > 9) return -1;
    long n = 0;
    for (int i = 0; i < t.length() - 1; i++) {
      char c = t.charAt(i);
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return switch (t.charAt(t.length() - 1)) {
      case 'H' -> TimeUnit.HOURS.toNanos(n);
      case 'M' -> TimeUnit.MINUTES.toNanos(n);
      case 'S' -> TimeUnit.SECONDS.toNanos(n);
      case 'm' -> TimeUnit.MILLISECONDS.toNanos(n);
      case 'u' -> TimeUnit.MICROSECONDS.toNanos(n);
      case 'n' -> n;
      default -> -1;
    };
  }
}
