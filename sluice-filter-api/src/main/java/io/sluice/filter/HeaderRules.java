package io.sluice.filter;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * What filters may write into a header field: the rules {@link Headers}' setters and
 * {@link LocalResponse.Builder#header} enforce. Public so that a factory can check a configured
 * header in {@link FilterFactory#validate}, before the filter exists. Stateless and thread-safe.
 */
public final class HeaderRules {
  private HeaderRules() {}

  /**
   * Checks a field a filter wants to write and returns its name in lower case.
   *
   * @param response true for a response field, false for a request field
   * @throws IllegalArgumentException naming the field and what is wrong
   */
  public static String check(String name, String value, boolean response) {
    String lower = checkName(name, response);
    if (value == null) throw new IllegalArgumentException("header " + name + ": value must not be null");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
        throw new IllegalArgumentException("header " + name + ": invalid character 0x" + Integer.toHexString(c)
            + " in value; expected no control characters such as CR or LF");
      }
    }
    return lower;
  }

  /**
   * Checks a field name a filter wants to write or remove and returns it in lower case.
   *
   * <p>Filters write the same few names on every request ({@code RateLimit-Limit}, a configured
   * {@code X-Served-By}), so a name that passed is remembered with its lower case in a small table
   * ({@link CheckedNames}): checking it again compares the name and allocates nothing.
   */
  public static String checkName(@Nullable String name, boolean response) {
    if (name != null) {
      String known = CheckedNames.lower(name);
      if (known != null) return known;
    }
    if (name == null || !isToken(name)) {
      throw new IllegalArgumentException("invalid header name '" + name + "': expected a token such as x-request-id");
    }
    String lower = name.toLowerCase(Locale.ROOT);
    switch (lower) {
      case "content-length", "transfer-encoding" -> throw new IllegalArgumentException(
          "header " + name + " frames the message and is written by the gateway; filters cannot set or remove it");
      case "connection", "keep-alive", "proxy-connection", "te", "upgrade", "trailer" -> throw new IllegalArgumentException(
          "header " + name + " is hop-by-hop and written by the gateway; filters cannot set or remove it");
      case "host" -> {
        if (!response) {
          throw new IllegalArgumentException("the Host header is set with Request.setAuthority, not as a header field");
        }
      }
      case "expect" -> {
        if (!response) throw new IllegalArgumentException("header Expect is answered by the gateway; filters cannot set or remove it");
      }
      default -> CheckedNames.remember(name, lower);
    }
    return lower;
  }

  /**
   * True when {@code s} is a token (RFC 9110 §5.6.2): one or more letters, digits and
   * {@code !#$%&'*+-.^_`|~}, as header names and methods are.
   */
  public static boolean isToken(String s) {
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) return false;
    }
    return true;
  }
}
