package io.sluice.server;

import io.sluice.api.codec.Durations;
import java.time.Duration;
import java.util.Objects;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * How a config directory's edits are taken into the store ({@code serve --config-dir-*}).
 *
 * @param grace how long the objects of a file that vanished, or of a document that left its file,
 *     keep serving before they are deleted; a file or object that comes back within it changes
 *     nothing (an editor's backup-rename save, a deploy's directory swap)
 * @param settle how long a file's content must stay unchanged before its objects are taken, so
 *     that a file being written is not taken halfway
 * @param maxDeletePercent the largest share (0–100) of the directory's objects one change may
 *     delete; a change deleting more, or deleting every object, is refused unless {@code force}
 * @param force whether a change may delete more than {@code maxDeletePercent} (or everything)
 */
record ConfigDirectoryOptions(Duration grace, Duration settle, int maxDeletePercent, boolean force) {
  static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
  static final Duration DEFAULT_SETTLE = Duration.ofSeconds(1);
  static final int DEFAULT_MAX_DELETE_PERCENT = 50;
  static final ConfigDirectoryOptions DEFAULTS =
      new ConfigDirectoryOptions(DEFAULT_GRACE, DEFAULT_SETTLE, DEFAULT_MAX_DELETE_PERCENT, false);

  ConfigDirectoryOptions {
    Objects.requireNonNull(grace, "grace");
    Objects.requireNonNull(settle, "settle");
    if (grace.isNegative()) throw new IllegalArgumentException("grace must not be negative, got " + grace);
    if (settle.isNegative()) throw new IllegalArgumentException("settle must not be negative, got " + settle);
    if (maxDeletePercent < 0 || maxDeletePercent > 100) {
      throw new IllegalArgumentException("maxDeletePercent must be 0 to 100, got " + maxDeletePercent);
    }
  }

  /** {@code --config-dir-grace}, {@code --config-dir-settle}: a duration as in the configuration ({@code 500ms}, {@code 10s}), 0 or more. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d;
      try {
        d = Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("expected a duration such as 500ms, 10s or 1m, got '" + value + "'");
      }
      if (d.isNegative()) throw new TypeConversionException("must not be negative, got '" + value + "'");
      return d;
    }
  }

  /** {@code --config-dir-max-delete}: a percentage, {@code 50} or {@code 50%}, from 0 to 100. */
  static final class PercentConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      String digits = value.endsWith("%") ? value.substring(0, value.length() - 1) : value;
      int p;
      try {
        p = Integer.parseInt(digits.trim());
      } catch (NumberFormatException e) {
        throw new TypeConversionException("expected a percentage from 0 to 100 such as 50 or 50%, got '" + value + "'");
      }
      if (p < 0 || p > 100) throw new TypeConversionException("expected a percentage from 0 to 100, got '" + value + "'");
      return p;
    }
  }
}
