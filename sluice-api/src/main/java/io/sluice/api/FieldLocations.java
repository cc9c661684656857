package io.sluice.api;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where each field of an object was written in its file: the line and column of the field's key
 * (or of a list element's first token), by field path as {@link ConfigError#field()} writes it
 * ({@code spec.match.path.regex}, {@code spec.endpoints[1].address}). It lets an error found after
 * decoding (by validation, on the bound object) name the field's own place, {@code routes.yaml:9:11}.
 *
 * <p>Where a field was written is not part of an object's value: every {@code FieldLocations}
 * equals every other, so two objects read from different layouts of the same text are equal as
 * before. Immutable.
 */
public final class FieldLocations {
  /** For objects not read from a text (built in code, or copied without their places). */
  public static final FieldLocations NONE = new FieldLocations("", new String[0], new long[0]);

  private final String file;
  /**
   * Field paths, interned, and their positions at the same index. Every object keeps its places for
   * as long as it is configured, and objects of a kind write the same few paths: a map of boxed
   * positions under each object's own copies of its paths held about a third of the heap that
   * 10,000 routes retain (docs/benchmarks.md, "Footprint"). Read only on error paths: a linear scan.
   */
  private final String[] fields;
  private final long[] positions;

  private FieldLocations(String file, String[] fields, long[] positions) {
    this.file = file;
    this.fields = fields;
    this.positions = positions;
  }

  /**
   * @param file names the text in errors ({@code routes.yaml}, {@code <api>})
   * @param positions field path → {@link #position(int, int)} of the field
   */
  public static FieldLocations of(String file, Map<String, Long> positions) {
    Objects.requireNonNull(file, "file");
    if (positions.isEmpty()) return NONE;
    String[] fields = new String[positions.size()];
    long[] at = new long[fields.length];
    int i = 0;
    for (Map.Entry<String, Long> e : positions.entrySet()) {
      fields[i] = Objects.requireNonNull(e.getKey(), "field path").intern();
      at[i] = Objects.requireNonNull(e.getValue(), "position of " + e.getKey());
      i++;
    }
    return new FieldLocations(file.intern(), fields, at);
  }

  /** A line and column (both 1-based) as one value, as {@link #of} takes them. */
  public static long position(int line, int column) {
    return ((long) line << 32) | (column & 0xffffffffL);
  }

  /**
   * {@code file:line:column} of {@code field}, or of its nearest enclosing field that was written (a
   * field left out has no place of its own); null for the object as a whole ({@code ""}) or when
   * nothing on its path was written.
   */
  public @Nullable String sourceOf(String field) {
    String p = field;
    while (!p.isEmpty()) {
      for (int i = 0; i < fields.length; i++) {
        if (fields[i].equals(p)) return file + ":" + (positions[i] >>> 32) + ":" + (int) positions[i];
      }
      p = p.substring(0, Math.max(0, Math.max(p.lastIndexOf('.'), p.lastIndexOf('['))));
    }
    return null;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof FieldLocations;
  }

  @Override
  public int hashCode() {
    return 0;
  }

  @Override
  public String toString() {
    return fields.length == 0 ? "FieldLocations[none]" : "FieldLocations[" + file + ", " + fields.length + " fields]";
  }
}
