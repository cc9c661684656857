package io.sluice.admin.internal;

import io.sluice.api.Kind;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Kinds as they appear in admin API paths: the lower-case plural of the display name ({@code routes}). */
public final class Kinds {
  private Kinds() {}

  /** {@code routes} for {@link Kind#ROUTE}; {@code discoveries} for a kind named {@code Discovery}. */
  public static String plural(Kind kind) {
    String s = kind.displayName().toLowerCase(Locale.ROOT);
    if (s.endsWith("y") && s.length() > 1 && "aeiou".indexOf(s.charAt(s.length() - 2)) < 0) {
      return s.substring(0, s.length() - 1) + "ies";
    }
    return s.endsWith("s") || s.endsWith("x") ? s + "es" : s + "s";
  }

  /** The kind whose plural is {@code segment}, or null. */
  public static @Nullable Kind fromPlural(String segment) {
    for (Kind k : Kind.values()) {
      if (plural(k).equals(segment)) return k;
    }
    return null;
  }

  /** Every kind's plural, in {@link Kind} order. */
  public static List<String> plurals() {
    return Arrays.stream(Kind.values()).map(Kinds::plural).toList();
  }
}
