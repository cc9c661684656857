package io.sluice.filter;

/** JSON text for the gateway's error bodies ({@link LocalResponse#error}). */
final class Json {
  private Json() {}

  /** Appends {@code s} as a JSON string, quoted and escaped (RFC 8259 §7). */
  static void appendString(StringBuilder sb, String s) {
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
}
