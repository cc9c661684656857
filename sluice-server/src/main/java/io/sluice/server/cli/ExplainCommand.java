package io.sluice.server.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.Kind;
import io.sluice.api.schema.SchemaField;
import io.sluice.api.schema.Schemas;
import io.sluice.filter.FilterFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sluice explain KIND[.field...]} (kubectl's {@code explain}): the fields of an object kind
 * or of a built-in filter's config ({@code filter.key-auth}), each with its type, default, whether
 * it is required and its description. Offline: the schema is read from this build's records
 * ({@link Schemas}); descriptions are their javadoc, the one source the README tables follow.
 */
@Command(name = "explain", description = {
    "Describe the fields of a kind, or of one field: type, default, whether it is required, and what it means.",
    "KIND.field.field...: route, upstream.spec.healthCheck, listener.spec.limits;",
    "filter.KIND for a built-in filter's config: filter.key-auth, filter.rate-limit.key. Works offline."})
public final class ExplainCommand implements Callable<Integer> {
  /** How a filter config is addressed: {@code filter.key-auth} (or {@code filters.}). */
  private static final String FILTER = "filter";

  @Parameters(index = "0", paramLabel = "KIND[.FIELD...]",
      description = "the kind (" + Kinds.LIST + ", or filter.KIND) and, dot-separated, the path of a field")
  String path;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json or yaml: the same as structured data")
  Printed.@Nullable Format output;

  @Option(names = "--recursive", description = "every level of fields under the one shown, not only the first")
  boolean recursive;

  @Override
  public Integer call() {
    try {
      return explain();
    } catch (CliException e) {
      System.out.flush();
      e.lines().forEach(System.err::println);
      return e.exitCode();
    }
  }

  private int explain() {
    List<String> parts = Arrays.asList(path.strip().split("\\.", -1));
    if (parts.stream().anyMatch(String::isEmpty)) {
      throw new CliException(2, List.of("error: '" + path + "' is not KIND or KIND.field.field...: a part is empty"));
    }
    String head = parts.getFirst().toLowerCase(Locale.ROOT);
    SchemaField root;
    String kindName;
    List<String> fieldPath;
    if (head.equals(FILTER) || head.equals(FILTER + "s")) {
      TreeMap<String, Class<?>> filters = filters();
      if (parts.size() == 1) {
        printFilterKinds(filters);
        return 0;
      }
      String wanted = parts.get(1);
      var match = filters.entrySet().stream().filter(e -> key(e.getKey()).equals(key(wanted))).findFirst();
      if (match.isEmpty()) {
        throw new CliException(2, List.of("error: no filter kind '" + wanted + "'; the built-in filters are: "
            + String.join(", ", filters.keySet())));
      }
      root = Schemas.config(match.get().getKey(), match.get().getValue());
      kindName = "filter " + match.get().getKey();
      fieldPath = parts.subList(2, parts.size());
    } else {
      Kind kind;
      try {
        kind = new Kinds().convert(parts.getFirst());
      } catch (picocli.CommandLine.TypeConversionException e) {
        throw new CliException(2, List.of("error: " + e.getMessage() + ", or filter.KIND (sluice explain filter lists them)"));
      }
      root = Schemas.kind(kind);
      kindName = kind.displayName();
      fieldPath = parts.subList(1, parts.size());
    }
    SchemaField node = root;
    List<String> walked = new ArrayList<>();
    for (String part : fieldPath) {
      SchemaField next = node.field(part);
      if (next == null) {
        String where = walked.isEmpty() ? kindName : kindName + " field " + String.join(".", walked);
        throw new CliException(2, List.of("error: " + where + " has no field '" + part + "'; "
            + (node.fields().isEmpty() ? "it has no fields" : "its fields are: "
                + node.fields().stream().map(SchemaField::name).collect(Collectors.joining(", ")))));
      }
      walked.add(next.name());
      node = next;
    }
    // A kind shows metadata's and spec's fields; a field its own; --recursive every level.
    boolean wholeKind = fieldPath.isEmpty() && !kindName.startsWith(FILTER + " ");
    SchemaField shown = recursive ? node : node.limitedTo(wholeKind ? 2 : 1);
    String field = String.join(".", walked);
    if (output != null) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      out.put("kind", kindName);
      if (!field.isEmpty()) out.put("field", field);
      json(out, shown);
      Printed.print(out, output);
    } else {
      print(kindName, field, shown);
    }
    return 0;
  }

  private static void print(String kindName, String field, SchemaField node) {
    StringBuilder sb = new StringBuilder();
    sb.append("KIND:        ").append(kindName).append('\n');
    if (!field.isEmpty()) {
      sb.append("FIELD:       ").append(field).append(" <").append(node.type()).append(">\n");
      attributes(sb, node);
    }
    if (!node.description().isEmpty()) sb.append("\nDESCRIPTION:\n    ").append(node.description()).append('\n');
    if (!node.fields().isEmpty()) {
      sb.append("\nFIELDS:\n");
      for (SchemaField f : node.fields()) fields(sb, "  ", f);
    }
    System.out.print(sb);
  }

  private static void attributes(StringBuilder sb, SchemaField f) {
    if (f.required()) sb.append("REQUIRED:    yes\n");
    if (f.defaultValue() != null) sb.append("DEFAULT:     ").append(f.defaultValue()).append('\n');
    if (!f.values().isEmpty()) sb.append("VALUES:      ").append(String.join(", ", f.values())).append('\n');
  }

  /** One field: {@code name <type>  required | default: x}, its description below, its own fields indented. */
  private static void fields(StringBuilder sb, String indent, SchemaField f) {
    sb.append(indent).append(f.name()).append("  <").append(f.type()).append('>');
    if (f.required()) sb.append("  required");
    if (f.defaultValue() != null) sb.append("  default: ").append(f.defaultValue());
    sb.append('\n');
    if (!f.values().isEmpty()) sb.append(indent).append("    one of: ").append(String.join(", ", f.values())).append('\n');
    if (!f.description().isEmpty()) sb.append(indent).append("    ").append(f.description()).append('\n');
    for (SchemaField sub : f.fields()) fields(sb, indent + "    ", sub);
  }

  private static void json(ObjectNode out, SchemaField f) {
    out.put("name", f.name());
    out.put("type", f.type());
    if (f.defaultValue() != null) out.put("default", f.defaultValue());
    out.put("required", f.required());
    out.put("description", f.description());
    if (!f.values().isEmpty()) {
      ArrayNode values = out.putArray("values");
      f.values().forEach(values::add);
    }
    if (!f.fields().isEmpty()) {
      ArrayNode fields = out.putArray("fields");
      for (SchemaField sub : f.fields()) json(fields.addObject(), sub);
    }
  }

  private void printFilterKinds(TreeMap<String, Class<?>> filters) {
    if (output != null) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      filters.forEach((name, type) -> out.addObject().put("kind", name).put("description", Schemas.config(name, type).description()));
      Printed.print(out, output);
      return;
    }
    Table t = new Table("FILTER", "DESCRIPTION");
    filters.forEach((name, type) -> t.row(name, Schemas.config(name, type).description()));
    t.print();
    System.out.println();
    System.out.println("sluice explain filter.KIND shows a filter's config fields.");
  }

  /** The filter kinds this build has (the ServiceLoader's, as the gateway finds them) and their config records. */
  private static TreeMap<String, Class<?>> filters() {
    TreeMap<String, Class<?>> out = new TreeMap<>();
    for (FilterFactory<?> f : ServiceLoader.load(FilterFactory.class)) out.put(f.kind(), f.configType());
    return out;
  }

  private static String key(String name) {
    return name.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
  }
}
