package io.sluice.server.cli;

import io.sluice.api.Kind;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;

/** Kind names as the command line accepts them: {@code route}, {@code routes}, {@code Route}, {@code ROUTES}. */
final class Kinds implements CommandLine.ITypeConverter<Kind>, Iterable<String> {
  /** Every kind, for help texts: {@code listener, route, upstream, ...} (a constant, as annotations need one). */
  static final String LIST = "listener, route, upstream, consumer, pipeline, globalfilter, secret or webhook";

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

  /** The kind {@code value} names; a usage error (exit 2) naming the kinds when it names none. */
  static Kind parse(String value) {
    try {
      return new Kinds().convert(value);
    } catch (CommandLine.TypeConversionException e) {
      throw new CliException(2, java.util.List.of("error: " + e.getMessage()));
    }
  }

  /** Completion candidates of {@code get}: the plural names, and {@code all}. */
  static final class WithAll implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return java.util.stream.Stream.concat(Arrays.stream(Kind.values()).map(Kinds::segment), java.util.stream.Stream.of("all")).iterator();
    }
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
