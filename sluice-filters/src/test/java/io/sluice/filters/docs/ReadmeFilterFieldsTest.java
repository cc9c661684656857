package io.sluice.filters.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.FilterFactory;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * Every field of every built-in filter's config has its row in the README's table for that filter
 * (the operator's reference for fields, types and defaults), and the table names no field the
 * config does not have: a field added, renamed or removed without its documentation fails here.
 */
class ReadmeFilterFieldsTest {
  @Test
  void everyFilterConfigFieldHasItsRowInTheReadmeAndNoOtherRowIsThere() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    int checked = 0;
    for (FilterFactory<?> f : ServiceLoader.load(FilterFactory.class)) {
      String section = section(readme, f.kind());
      List<String> fields = new ArrayList<>();
      walk(f.configType(), "", fields);
      List<String> rows = section.lines().filter(l -> l.startsWith("| `")).map(l -> l.substring(3, l.indexOf('`', 3))).toList();
      assertThat(rows).as("the README table of " + f.kind()).containsExactlyElementsOf(fields);
      checked++;
    }
    assertThat(checked).isEqualTo(21);
  }

  private static String section(String readme, String kind) {
    String head = "### `" + kind + "`\n";
    int start = readme.indexOf(head);
    assertThat(start).as("README section " + head.strip()).isNotNegative();
    int next = readme.indexOf("\n##", start + head.length());
    return readme.substring(start, next < 0 ? readme.length() : next);
  }

  /** A record of the filter's own config (a value type such as a size is one field). */
  private static boolean isConfigPart(Class<?> c) {
    return c.isRecord() && c.getName().startsWith("io.sluice.filters.");
  }

  /** The config's field paths in declaration order, nested records' fields after their own (a list's as {@code name[].field}). */
  private static void walk(Class<?> type, String prefix, List<String> out) {
    for (RecordComponent c : type.getRecordComponents()) {
      String path = prefix + c.getName();
      out.add(path);
      Type t = c.getGenericType();
      if (t instanceof ParameterizedType p && p.getRawType() == List.class
          && p.getActualTypeArguments()[0] instanceof Class<?> e && isConfigPart(e)) {
        walk(e, path + "[].", out);
      } else if (isConfigPart(c.getType()) && c.getType() != type) {
        walk(c.getType(), path + ".", out);
      }
    }
  }
}
