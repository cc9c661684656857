package io.sluice.api.validate;

import io.sluice.api.ByteSize;
import io.sluice.api.Credential;
import io.sluice.api.codec.Durations;
import io.sluice.api.codec.Redaction;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The limits every duration and size of a configuration must keep, wherever it is written: in an
 * object's spec or in a filter's config. The data plane converts durations to nanoseconds and
 * schedules timers with them, and sums sizes and durations; within these limits none of that can
 * overflow ({@code Duration.toNanos} overflows at about 292 years), so a value validation accepts
 * is one the runtime can hold.
 *
 * <ul>
 *   <li>a duration: 0, or from {@link #MIN_POSITIVE_DURATION} (1ms) to {@link #MAX_DURATION} (365d);
 *       each field refuses negative ones itself;
 *   <li>a size: at most {@link #MAX_SIZE} (1TiB); sizes held in memory have tighter limits of
 *       their own, checked where they are declared.
 * </ul>
 *
 * <p>Counts, ports, percentages and weights have ranges that depend on the field, so each is checked
 * where it is declared ({@link Validator}, {@link TrafficChecks}, a filter factory's {@code validate}).
 *
 * <p>{@link #check} walks a value the codec bound (records, lists, maps) by reflection, so a field
 * added later is bounded without anyone remembering to. Stateless and thread-safe.
 */
public final class Bounds {
  /** The longest duration any field may hold. */
  public static final Duration MAX_DURATION = Duration.ofDays(365);
  /** The shortest duration above zero any field may hold. */
  public static final Duration MIN_POSITIVE_DURATION = Duration.ofMillis(1);
  /** The largest size any field may hold. */
  public static final ByteSize MAX_SIZE = ByteSize.ofMiB(1024L * 1024);

  /** Each record class's components: {@code getRecordComponents} copies them on every call, and validation walks every object. */
  private static final ClassValue<RecordComponent[]> COMPONENTS = new ClassValue<>() {
    @Override
    protected RecordComponent[] computeValue(Class<?> type) {
      return type.getRecordComponents();
    }
  };

  private Bounds() {}

  /**
   * Reports each duration and size in {@code value} that is out of bounds, and each credential that
   * is the {@linkplain Redaction#REDACTED placeholder} viewers read (an export applied again).
   *
   * @param value a record as the codec binds it (a spec, a filter config), or a list, map or leaf
   *     value; null is nothing to check
   * @param path the path of {@code value} as an operator writes it ({@code spec}, {@code spec.filters[0].config});
   *     nested fields are appended to it
   * @param errors receives the full path of each field out of bounds and a message such as
   *     {@code 106752d is longer than the maximum 365d}
   */
  public static void check(@Nullable Object value, String path, BiConsumer<String, String> errors) {
    if (value == null) return;
    if (value instanceof Duration d) {
      duration(d, path, errors);
    } else if (value instanceof ByteSize s) {
      if (s.bytes() > MAX_SIZE.bytes()) errors.accept(path, s + " is larger than the maximum " + MAX_SIZE);
    } else if (value instanceof Record r) {
      for (RecordComponent c : COMPONENTS.get(r.getClass())) {
        Object v = read(r, c);
        if (Redaction.REDACTED.equals(v) && c.isAnnotationPresent(Credential.class)) {
          // An object a viewer exported, applied by an editor: it would set the credential to the placeholder.
          errors.accept(join(path, c.getName()), "is " + Redaction.REDACTED
              + ", the placeholder a viewer reads in place of a credential; give the credential itself");
        }
        if (v instanceof Map<?, ?> keyed && c.isAnnotationPresent(Credential.class)) {
          for (Map.Entry<?, ?> e : keyed.entrySet()) {
            if (Redaction.REDACTED.equals(e.getValue())) {
              errors.accept(join(join(path, c.getName()), String.valueOf(e.getKey())), "is " + Redaction.REDACTED
                  + ", the placeholder a viewer reads in place of a credential; give the credential itself");
            }
          }
        }
        check(v, join(path, c.getName()), errors);
      }
    } else if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) check(list.get(i), path + "[" + i + "]", errors);
    } else if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) check(e.getValue(), join(path, String.valueOf(e.getKey())), errors);
    } else if (value instanceof Collection<?> c) {
      for (Object o : c) check(o, path, errors);
    }
    // Strings, numbers, enums and unbound JSON (a filter's config, checked once bound) hold no duration or size.
  }

  private static void duration(Duration d, String path, BiConsumer<String, String> errors) {
    // Negative durations are refused by each field's own check, which says what the field expects.
    if (d.compareTo(MAX_DURATION) > 0) {
      errors.accept(path, Durations.format(d) + " is longer than the maximum " + Durations.format(MAX_DURATION));
    } else if (d.isPositive() && d.compareTo(MIN_POSITIVE_DURATION) < 0) {
      // The runtime counts many durations in whole milliseconds (connect timeouts, resilience4j's
      // wait in open state): a shorter one would become 0, which means "no timeout" or is refused.
      errors.accept(path, Durations.format(d) + " is shorter than the minimum 1ms; durations have millisecond precision");
    }
  }

  private static @Nullable Object read(Record r, RecordComponent c) {
    try {
      java.lang.reflect.Method accessor = c.getAccessor();
      // A filter's config record may be nested in a package-private class.
      if (!accessor.canAccess(r)) accessor.setAccessible(true);
      return accessor.invoke(r);
    } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
      // A record of a non-exported package, or an accessor that throws: a bug in the record, not in the configuration.
      throw new IllegalStateException("cannot read " + r.getClass().getName() + "." + c.getName() + ": " + e, e);
    }
  }

  private static String join(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }
}
