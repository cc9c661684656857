package io.sluice.server.cli;

import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns separated by three spaces, the way kubectl prints lists. Not thread-safe. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();

  Table(String... header) {
    rows.add(header);
  }

  Table row(Object... cells) {
    String[] r = new String[cells.length];
    for (int i = 0; i < cells.length; i++) r[i] = String.valueOf(cells[i]);
    rows.add(r);
    return this;
  }

  /** Rows below the header. */
  int size() {
    return rows.size() - 1;
  }

  List<String> lines(String indent) {
    int columns = rows.getFirst().length;
    int[] width = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) width[i] = Math.max(width[i], r[i].length());
    }
    List<String> out = new ArrayList<>();
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder(indent);
      for (int i = 0; i < columns; i++) {
        sb.append(r[i]);
        if (i < columns - 1) sb.append(" ".repeat(width[i] - r[i].length() + 3));
      }
      out.add(sb.toString().stripTrailing());
    }
    return out;
  }

  void print() {
    lines("").forEach(System.out::println);
  }
}
