package io.sluice.api.codec;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.sluice.api.FieldLocations;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One document of a text as a tree, with the line and column of every field and list element so
 * that an error found later, on the tree, while binding it or validating the object, can still
 * name its place.
 *
 * <p>Jackson's own {@code readTree} forgets locations and silently keeps the last of two equal
 * keys; reading the tokens here keeps both facts.
 *
 * @param number 1-based position of the document in its text
 * @param line the line the document's content starts on
 * @param root the document
 * @param lines {@link FieldLocations#position} of each field path ({@code spec.endpoints[1].address}) that
 *     occurs in the document
 * @param duplicates keys that occur twice in one object; the later occurrence is dropped from {@code root}
 */
record Document(int number, int line, JsonNode root, Map<String, Long> lines, List<Duplicate> duplicates) {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** A key written twice in the same object: {@code position} ({@link FieldLocations#position}) is the second occurrence. */
  record Duplicate(String path, String key, long position, int firstLine) {}

  /** Reads the value that starts at the parser's current token, leaving the parser on its last token. */
  static Document read(JsonParser p, int number) throws IOException {
    int line = p.currentTokenLocation().getLineNr();
    Map<String, Long> lines = new HashMap<>();
    List<Duplicate> duplicates = new ArrayList<>();
    JsonNode root = value(p, "", lines, duplicates);
    return new Document(number, line, root, Map.copyOf(lines), List.copyOf(duplicates));
  }

  /**
   * True for a list wrapper: an object without {@code kind} whose {@code items} is a list, the
   * shape {@code GET /api/v1/routes} answers ({@code {"revision": 3, "items": [...]}}).
   */
  boolean isItemList() {
    return root.isObject() && !root.has("kind") && root.path("items").isArray();
  }

  /**
   * The elements of {@code items} of a list wrapper, each as a document of its own with its own
   * lines (errors in {@code items[2]} name the lines of that element).
   *
   * @param firstNumber the number of the first element's document
   */
  List<Document> items(int firstNumber) {
    JsonNode items = root.path("items");
    List<Document> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      String prefix = "items[" + i + "]";
      Map<String, Long> own = new HashMap<>();
      lines.forEach((path, l) -> {
        if (path.startsWith(prefix + ".")) own.put(path.substring(prefix.length() + 1), l);
      });
      List<Duplicate> dups = duplicates.stream()
          .filter(d -> d.path().startsWith(prefix + "."))
          .map(d -> new Duplicate(d.path().substring(prefix.length() + 1), d.key(), d.position(), d.firstLine()))
          .toList();
      Long at = lines.get(prefix);
      out.add(new Document(firstNumber + i, at == null ? line : (int) (at >>> 32), items.get(i), Map.copyOf(own), dups));
    }
    return out;
  }

  /** True for a document with no content ({@code ---} followed by nothing, or only comments). */
  boolean isEmpty() {
    return root.isNull();
  }

  /**
   * The {@link FieldLocations#position} of {@code path}, or of its nearest enclosing field that has
   * one (a missing field has none); the document's line with column 0 when none has.
   */
  long positionOf(String path) {
    String p = path;
    while (!p.isEmpty()) {
      Long l = lines.get(p);
      if (l != null) return l;
      p = p.substring(0, Math.max(0, Math.max(p.lastIndexOf('.'), p.lastIndexOf('['))));
    }
    return FieldLocations.position(line, 0);
  }

  /**
   * Anchors and aliases are refused: the parser hands an alias over as a string holding the anchor's
   * name ({@code *p} would be stored as {@code p}), and expanding them lets a few lines grow into
   * gigabytes (the "billion laughs"). Kubernetes-shaped objects do not need them.
   */
  private static void refuseAnchorsAndAliases(JsonParser p, JsonToken t) throws IOException {
    if (!(p instanceof YAMLParser y)) return;
    if (y.isCurrentAlias()) {
      throw new JsonParseException(p, "alias *" + p.getText() + ": YAML anchors (&) and aliases (*) are not supported;"
          + " write the value out in full");
    }
    String anchor = y.getObjectId();
    if (anchor != null) {
      throw new JsonParseException(p, "anchor &" + anchor + ": YAML anchors (&) and aliases (*) are not supported;"
          + " write the value out in full");
    }
  }

  /** Where each field was written, for errors found after decoding. */
  FieldLocations locations(String file) {
    return FieldLocations.of(file, lines);
  }

  private static long position(JsonParser p) {
    var at = p.currentTokenLocation();
    return FieldLocations.position(at.getLineNr(), at.getColumnNr());
  }

  private static JsonNode value(JsonParser p, String path, Map<String, Long> lines, List<Duplicate> duplicates)
      throws IOException {
    JsonToken t = p.currentToken();
    refuseAnchorsAndAliases(p, t);
    return switch (t) {
      case START_OBJECT -> {
        ObjectNode o = NODES.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          String child = path.isEmpty() ? key : path + "." + key;
          long at = position(p);
          Long first = lines.putIfAbsent(child, at);
          p.nextToken();
          JsonNode v = value(p, child, lines, duplicates);
          if (o.has(key)) {
            duplicates.add(new Duplicate(child, key, at, (int) ((first == null ? at : first) >>> 32)));
          } else {
            o.set(key, v);
          }
        }
        yield o;
      }
      case START_ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
          String child = path + "[" + i + "]";
          lines.put(child, position(p));
          a.add(value(p, child, lines, duplicates));
        }
        yield a;
      }
      case VALUE_STRING -> NODES.textNode(p.getText());
      case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
        case INT -> NODES.numberNode(p.getIntValue());
        case LONG -> NODES.numberNode(p.getLongValue());
        default -> NODES.numberNode(p.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> p.getNumberType() == JsonParser.NumberType.BIG_DECIMAL
          ? NODES.numberNode(p.getDecimalValue())
          : NODES.numberNode(p.getDoubleValue());
      case VALUE_TRUE, VALUE_FALSE -> NODES.booleanNode(t == JsonToken.VALUE_TRUE);
      case VALUE_NULL -> NODES.nullNode();
      // YAML's !!binary and the like: kept so that binding reports the type it expected instead.
      case VALUE_EMBEDDED_OBJECT -> NODES.pojoNode(p.getEmbeddedObject());
      default -> throw new IllegalStateException("unexpected token " + t + " at the start of a value");
    };
  }
}
