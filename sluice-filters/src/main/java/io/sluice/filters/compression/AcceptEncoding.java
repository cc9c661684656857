package io.sluice.filters.compression;

import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Picks a content coding from an Accept-Encoding header (RFC 9110 §12.5.3). Stateless. */
final class AcceptEncoding {
  private AcceptEncoding() {}

  /**
   * The coding of {@code offered} (most preferred first) with the highest q-value in {@code header},
   * the earliest offered on a tie; null when the header is absent or accepts none of them (q=0, or
   * not listed and no {@code *}).
   */
  static @Nullable String pick(@Nullable String header, List<String> offered) {
    if (header == null || header.isBlank()) return null;
    String best = null;
    double bestQ = 0;
    for (String coding : offered) {
      double q = quality(header, coding);
      if (q > bestQ) {
        best = coding;
        bestQ = q;
      }
    }
    return best;
  }

  /** The q-value {@code header} gives {@code coding}: its own entry's, else {@code *}'s, else 0. */
  private static double quality(String header, String coding) {
    double wildcard = 0;
    for (String part : header.split(",")) {
      String[] params = part.split(";");
      String name = params[0].strip().toLowerCase(Locale.ROOT);
      double q = 1;
      for (int i = 1; i < params.length; i++) {
        String p = params[i].strip();
        if (p.length() > 2 && (p.charAt(0) == 'q' || p.charAt(0) == 'Q') && p.charAt(1) == '=') {
          try {
            q = Double.parseDouble(p.substring(2));
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (name.equals(coding) || (coding.equals("gzip") && name.equals("x-gzip"))) return q;
      if (name.equals("*")) wildcard = q;
    }
    return wildcard;
  }
}
