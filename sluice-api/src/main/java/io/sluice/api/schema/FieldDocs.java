package io.sluice.api.schema;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The javadoc of a record as the build recorded it: the record's first sentence and each
 * component's {@code @param} text, read from the resource {@code <BinarySimpleName>.fields} next to
 * the class (written by {@code sluice-field-docs}' annotation processor). A record compiled
 * without the processor, or without javadoc, has no docs: every lookup answers the empty string.
 *
 * @param summary the record's first javadoc sentence, or empty
 * @param params each component's description by name, in declaration order
 */
public record FieldDocs(String summary, Map<String, String> params) {
  public FieldDocs {
    params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
  }

  /** The docs of {@code type}; empty docs when the build recorded none. */
  public static FieldDocs of(Class<?> type) {
    String binary = type.getName();
    String simple = binary.substring(binary.lastIndexOf('.') + 1);
    try (InputStream in = type.getResourceAsStream(simple + ".fields")) {
      if (in == null) return new FieldDocs("", Map.of());
      String summary = "";
      Map<String, String> params = new LinkedHashMap<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = r.readLine()) != null; ) {
        int tab = line.indexOf('\t');
        if (tab < 0) continue;
        if (tab == 0) {
          summary = line.substring(1);
        } else {
          params.put(line.substring(0, tab), line.substring(tab + 1));
        }
      }
      return new FieldDocs(summary, params);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the field docs of " + binary, e);
    }
  }

  /** The description of component {@code name}, or empty. */
  public String param(String name) {
    @Nullable String d = params.get(name);
    return d == null ? "" : d;
  }
}
