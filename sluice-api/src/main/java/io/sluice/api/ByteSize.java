package io.sluice.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes, written in config as a number of bytes or with a unit: {@code 512}, {@code 16KiB},
 * {@code 10MiB}, {@code 1GiB} (also {@code KB/MB/GB}, which Sluice reads as powers of 1024 like nginx does).
 */
public record ByteSize(long bytes) {
  private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*([kmg]i?b?|b)?", Pattern.CASE_INSENSITIVE);

  public ByteSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("size must be >= 0 bytes, got " + bytes);
    }
  }

  public static ByteSize ofBytes(long bytes) {
    return new ByteSize(bytes);
  }

  public static ByteSize ofKiB(long kib) {
    return new ByteSize(Math.multiplyExact(kib, 1024L));
  }

  public static ByteSize ofMiB(long mib) {
    return new ByteSize(Math.multiplyExact(mib, 1024L * 1024));
  }

  @JsonCreator
  public static ByteSize parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a size such as 512, 16KiB or 10MiB, got '" + text + "'");
    }
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    long factor = switch (unit.charAt(0)) {
      case 'k' -> 1024L;
      case 'm' -> 1024L * 1024;
      case 'g' -> 1024L * 1024 * 1024;
      default -> 1L;
    };
    try {
      return new ByteSize(Math.multiplyExact(Long.parseLong(m.group(1)), factor));
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("expected a size of at most " + Long.MAX_VALUE + " bytes, got '" + text + "'");
    }
  }

  @JsonCreator
  public static ByteSize fromNumber(long bytes) {
    return new ByteSize(bytes);
  }

  public int toIntExact() {
    return Math.toIntExact(bytes);
  }

  @JsonValue
  @Override
  public String toString() {
    if (bytes != 0 && bytes % (1024L * 1024 * 1024) == 0) return bytes / (1024L * 1024 * 1024) + "GiB";
    if (bytes != 0 && bytes % (1024L * 1024) == 0) return bytes / (1024L * 1024) + "MiB";
    if (bytes != 0 && bytes % 1024L == 0) return bytes / 1024L + "KiB";
    return Long.toString(bytes);
  }
}
