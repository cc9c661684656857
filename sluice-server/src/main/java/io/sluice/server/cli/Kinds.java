package io.sluice.server.cli;

import io.sluice.api.Kind;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;

/** Kind names as the command line accepts them: {@code route}, {@code routes}, {@code Route}, {@code ROUTES}. */
final class Kinds implements CommandLine.ITypeConverter<Kind>, Iterable<String> {

  @Override
  public Kind convert(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    for (Kind k : Kind.values()) {
      String singular = k.displayName().toLowerCase(Locale.ROOT);
      if (v.equals(singular) || v.equals(singular + "s")) return k;
    }
    throw new CommandLine.TypeConversionException("unknown kind '" + value + "'; expected one of: "
        + Arrays.stream(Kind.values()).map(k -> k.displayName().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
  }

  /** The path segment of a kind in the admin API: {@code routes}. */
  static String segment(Kind kind) {
    return kind.displayName().toLowerCase(Locale.ROOT) + "s";
  }

  /** Completion candidates: the plural names. */
  @Override
  public java.util.Iterator<String> iterator() {
    return Arrays.stream(Kind.values()).map(Kinds::segment).iterator();
  }
}
