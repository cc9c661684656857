package io.sluice.proxy.http1;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Header fields of a parsed head, kept as offsets into the head's bytes: for field {@code i},
 * {@code fields[i*SLOTS ..]} holds name start, name end, value start, value end and the
 * {@link HeaderName} code. Shared by {@link RequestHead} and {@link ResponseHead}.
 */
final class HeaderFields {
  static final int SLOTS = 5;

  private HeaderFields() {}

  /** Appends a field, growing the array when needed; returns the (possibly new) array. */
  static int[] add(int[] fields, int count, int ns, int ne, int vs, int ve, int code) {
    int at = count * SLOTS;
    int[] f = at + SLOTS > fields.length ? Arrays.copyOf(fields, fields.length * 2) : fields;
    f[at] = ns;
    f[at + 1] = ne;
    f[at + 2] = vs;
    f[at + 3] = ve;
    f[at + 4] = code;
    return f;
  }

  /** The first value of the field named {@code lowerCaseName}, or null. */
  static @Nullable String value(byte[] bytes, int[] fields, int count, String lowerCaseName) {
    for (int i = 0, n = count * SLOTS; i < n; i += SLOTS) {
      int ns = fields[i];
      if (fields[i + 1] - ns == lowerCaseName.length() && Ascii.equalsIgnoreCase(bytes, ns, lowerCaseName)) {
        return Ascii.latin1(bytes, fields[i + 2], fields[i + 3]);
      }
    }
    return null;
  }

  /** True when field {@code i}'s name is {@code lowerName}, compared case-insensitively. */
  static boolean nameIs(byte[] bytes, int[] fields, int i, String lowerName) {
    int at = i * SLOTS;
    int ns = fields[at];
    return fields[at + 1] - ns == lowerName.length() && Ascii.equalsIgnoreCase(bytes, ns, lowerName);
  }

  /** True when field {@code i}'s name is one of {@code lowerNames} (the tokens of Connection). */
  static boolean nameIn(byte[] bytes, int[] fields, int i, String @Nullable [] lowerNames) {
    if (lowerNames == null) return false;
    int at = i * SLOTS;
    int ns = fields[at];
    int len = fields[at + 1] - ns;
    for (String t : lowerNames) {
      if (t.length() == len && Ascii.equalsIgnoreCase(bytes, ns, t)) return true;
    }
    return false;
  }
}
