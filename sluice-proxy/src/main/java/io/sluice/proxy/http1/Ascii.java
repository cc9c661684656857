package io.sluice.proxy.http1;

import java.nio.charset.StandardCharsets;

/** Byte-level helpers for the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 9112). */
public final class Ascii {
  private static final boolean[] TCHAR = new boolean[256];
  private static final boolean[] FIELD_VCHAR = new boolean[256];
  private static final boolean[] TARGET = new boolean[256];

  static {
    for (int c = '0'; c <= '9'; c++) TCHAR[c] = true;
    for (int c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
    for (int c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
    // field-value octets: VCHAR, obs-text, SP and HTAB (RFC 9110 §5.5); CTLs and DEL are refused.
    for (int c = 0x21; c <= 0x7e; c++) FIELD_VCHAR[c] = true;
    for (int c = 0x80; c <= 0xff; c++) FIELD_VCHAR[c] = true;
    FIELD_VCHAR[' '] = true;
    FIELD_VCHAR['\t'] = true;
    // request-target octets (RFC 3986): unreserved, sub-delims, gen-delims but '#', and '%' for escapes.
    for (int c = '0'; c <= '9'; c++) TARGET[c] = true;
    for (int c = 'a'; c <= 'z'; c++) TARGET[c] = true;
    for (int c = 'A'; c <= 'Z'; c++) TARGET[c] = true;
    for (char c : "-._~!$&'()*+,;=:@/?%[]".toCharArray()) TARGET[c] = true;
  }

  private Ascii() {}

  public static boolean isTchar(int b) {
    return TCHAR[b & 0xff];
  }

  public static boolean isFieldValueOctet(int b) {
    return FIELD_VCHAR[b & 0xff];
  }

  public static boolean isTargetOctet(int b) {
    return TARGET[b & 0xff];
  }

  public static boolean isToken(CharSequence s) {
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c > 0xff || !TCHAR[c]) return false;
    }
    return true;
  }

  static int hexValue(int b) {
    if (b >= '0' && b <= '9') return b - '0';
    if (b >= 'a' && b <= 'f') return b - 'a' + 10;
    if (b >= 'A' && b <= 'F') return b - 'A' + 10;
    return -1;
  }

  static int toLower(int b) {
    return b >= 'A' && b <= 'Z' ? b + 32 : b;
  }

  /** True when {@code b[start, start + lower.length())} equals {@code lower} (an ASCII lower-case string) ignoring case. */
  public static boolean equalsIgnoreCase(byte[] b, int start, String lower) {
    for (int i = 0; i < lower.length(); i++) {
      if (toLower(b[start + i]) != lower.charAt(i)) return false;
    }
    return true;
  }

  /** ISO-8859-1 string of {@code b[start, end)}: one char per octet, so obs-text survives unchanged. */
  public static String latin1(byte[] b, int start, int end) {
    return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
  }

  /** Lower-cased ISO-8859-1 string of {@code b[start, end)}. */
  public static String lowerLatin1(byte[] b, int start, int end) {
    char[] c = new char[end - start];
    for (int i = start; i < end; i++) c[i - start] = (char) toLower(b[i] & 0xff);
    return new String(c);
  }
}
