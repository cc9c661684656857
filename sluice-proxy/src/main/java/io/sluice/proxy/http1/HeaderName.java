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

  private static final String[] NAMES = {
    "host", "content-length", "transfer-encoding", "connection", "expect", "x-forwarded-for",
    "x-forwarded-proto", "x-forwarded-host", "x-request-id",
  };
  private static final String[] HOP_BY_HOP_NAMES = {
    "keep-alive", "proxy-connection", "te", "upgrade", "proxy-authenticate", "proxy-authorization",
  };

  private HeaderName() {}

  /** Classifies the name in {@code b[start, end)}, case-insensitively. */
  public static int classify(byte[] b, int start, int end) {
    int len = end - start;
    for (int i = 0; i < NAMES.length; i++) {
      if (NAMES[i].length() == len && Ascii.equalsIgnoreCase(b, start, NAMES[i])) {
        return i + 1;
      }
    }
    for (String n : HOP_BY_HOP_NAMES) {
      if (n.length() == len && Ascii.equalsIgnoreCase(b, start, n)) {
        return HOP_BY_HOP;
      }
    }
    return OTHER;
  }
}
