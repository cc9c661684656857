package io.sluice.proxy.http1;

/**
 * The header names the proxy treats specially, recognised once at parse time as small integer codes
 * so that forwarding needs no string comparison per header.
 */
public final class HeaderName {
  public static final int OTHER = 0;
  public static final int HOST = 1;
  public static final int CONTENT_LENGTH = 2;
  public static final int TRANSFER_ENCODING = 3;
  public static final int CONNECTION = 4;
  public static final int EXPECT = 5;
  public static final int X_FORWARDED_FOR = 6;
  public static final int X_FORWARDED_PROTO = 7;
  public static final int X_FORWARDED_HOST = 8;
  public static final int X_REQUEST_ID = 9;
  /** Hop-by-hop headers other than Connection and Transfer-Encoding (RFC 9110 §7.6.1). */
  public static final int HOP_BY_HOP = 10;
  /** The gateway's own: a client's is never forwarded, the gateway sets it for a verified client certificate. */
  public static final int X_FORWARDED_CLIENT_CERT = 11;
  /** Forwarded as received; the gateway appends its own and checks for it (loop detection). */
  public static final int VIA = 12;

  private HeaderName() {}

  /**
   * Classifies the name in {@code b[start, end)}, case-insensitively. Dispatches on the length first,
   * so a typical header costs one or two byte comparisons, not one per known name.
   */
  public static int classify(byte[] b, int start, int end) {
    return switch (end - start) {
      case 2 -> is(b, start, "te") ? HOP_BY_HOP : OTHER;
      case 3 -> is(b, start, "via") ? VIA : OTHER;
      case 4 -> is(b, start, "host") ? HOST : OTHER;
      case 6 -> is(b, start, "expect") ? EXPECT : OTHER;
      case 7 -> is(b, start, "upgrade") ? HOP_BY_HOP : OTHER;
      case 10 -> is(b, start, "connection") ? CONNECTION : is(b, start, "keep-alive") ? HOP_BY_HOP : OTHER;
      case 12 -> is(b, start, "x-request-id") ? X_REQUEST_ID : OTHER;
      case 14 -> is(b, start, "content-length") ? CONTENT_LENGTH : OTHER;
      case 15 -> is(b, start, "x-forwarded-for") ? X_FORWARDED_FOR : OTHER;
      case 16 -> is(b, start, "x-forwarded-host") ? X_FORWARDED_HOST
          : is(b, start, "proxy-connection") ? HOP_BY_HOP : OTHER;
      case 17 -> is(b, start, "transfer-encoding") ? TRANSFER_ENCODING
          : is(b, start, "x-forwarded-proto") ? X_FORWARDED_PROTO : OTHER;
      case 18 -> is(b, start, "proxy-authenticate") ? HOP_BY_HOP : OTHER;
      case 19 -> is(b, start, "proxy-authorization") ? HOP_BY_HOP : OTHER;
      case 23 -> is(b, start, "x-forwarded-client-cert") ? X_FORWARDED_CLIENT_CERT : OTHER;
      default -> OTHER;
    };
  }

  private static boolean is(byte[] b, int start, String lower) {
    return Ascii.equalsIgnoreCase(b, start, lower);
  }
}
