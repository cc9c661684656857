package io.sluice.filter.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Lookups in lists of header fields, the field rules of the gateway's HTTP/1.1 connections, and test bodies in chunks. */
final class Fields {
  /** Hop-by-hop fields the gateway's parser sets aside (RFC 9110 §7.6.1), besides those Connection names. */
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "upgrade",
      "proxy-authenticate", "proxy-authorization", "transfer-encoding");

  private Fields() {}

  static @Nullable String first(List<HeaderField> fields, String name) {
    for (HeaderField f : fields) {
      if (f.name().equalsIgnoreCase(name)) return f.value();
    }
    return null;
  }

  static List<String> all(List<HeaderField> fields, String name) {
    List<String> out = new ArrayList<>(2);
    for (HeaderField f : fields) {
      if (f.name().equalsIgnoreCase(name)) out.add(f.value());
    }
    return List.copyOf(out);
  }

  /**
   * Whether each field is hop-by-hop on its connection: a fixed name, or one the Connection field
   * names (as the gateway's parser reads it). Such fields are neither shown to filters nor forwarded.
   */
  static boolean[] hopByHop(List<HeaderField> fields) {
    Set<String> nominated = new java.util.HashSet<>();
    for (HeaderField f : fields) {
      if (!f.name().equalsIgnoreCase("connection")) continue;
      for (String token : f.value().split(",")) {
        String t = token.strip().toLowerCase(Locale.ROOT);
        if (!t.isEmpty()) nominated.add(t);
      }
    }
    boolean[] out = new boolean[fields.size()];
    for (int i = 0; i < out.length; i++) {
      String lower = fields.get(i).name().toLowerCase(Locale.ROOT);
      out[i] = HOP_BY_HOP.contains(lower) || nominated.contains(lower);
    }
    return out;
  }

  /** Refuses the framing fields a test message cannot carry: the harness writes them from the body. */
  static void checkTestField(String name, String value, String what) {
    if (name == null || !io.sluice.filter.HeaderRules.isToken(name)) {
      throw new IllegalArgumentException(what + " header name '" + name + "': expected a token such as x-request-id");
    }
    if (value == null) throw new IllegalArgumentException(what + " header " + name + ": value must not be null");
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.equals("content-length") || lower.equals("transfer-encoding")) {
      throw new IllegalArgumentException(what + " header " + name + ": the harness frames the body itself (Content-Length from body(...))");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
        throw new IllegalArgumentException(what + " header " + name + ": invalid character 0x" + Integer.toHexString(c) + " in value");
      }
    }
  }

  /** The UTF-8 bytes of each piece: a body in the chunks a streaming filter gets. */
  static List<byte[]> utf8Pieces(String... pieces) {
    List<byte[]> out = new ArrayList<>(pieces.length);
    for (String p : pieces) out.add(p.getBytes(StandardCharsets.UTF_8));
    return out;
  }

  /** The chunks one after another: the whole body. */
  static byte[] concat(List<byte[]> chunks) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] c : chunks) all.writeBytes(c);
    return all.toByteArray();
  }
}
