package io.sluice.server.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The admin API's JSON answers, read into the {@link JsonNode} tree the commands walk with
 * jackson-core's streaming parser alone. An {@link ObjectMapper} costs a CLI call ~400 classes
 * and ~60 ms to set up (docs/benchmarks.md, "CLI start-up") and most commands only read a tree;
 * the mapper is made on first use, for pretty-printing ({@link #pretty}).
 *
 * <p>The tree is the one {@code ObjectMapper.readTree} gives: ints, longs and big integers as
 * such, other numbers as doubles, the last of duplicate keys wins, content after the first value
 * is ignored. Stateless and thread-safe.
 */
final class JsonText {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonText() {}

  /**
   * The tree of {@code text}, which must hold a JSON value.
   *
   * @throws JsonProcessingException when {@code text} is not JSON (empty included)
   */
  static JsonNode read(String text) throws JsonProcessingException {
    try (JsonParser p = FACTORY.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) throw new JsonParseException(p, "no JSON value, only blank text");
      return value(p, first);
    } catch (JsonProcessingException e) {
      throw e;
    } catch (IOException e) {
      // A String source cannot fail to read; anything else is a parse problem.
      throw new JsonParseException(null, e.getMessage(), e);
    }
  }

  /** {@code node} as indented JSON, as {@code sluice ... -o json} prints it. */
  static String pretty(JsonNode node) throws JsonProcessingException {
    return Mapper.INSTANCE.writerWithDefaultPrettyPrinter().writeValueAsString(node);
  }

  // Depth is bounded by the parser's StreamReadConstraints (nesting depth 1000 by default).
  private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
    return switch (t) {
      case START_OBJECT -> {
        ObjectNode o = NODES.objectNode();
        for (JsonToken k = p.nextToken(); k == JsonToken.FIELD_NAME; k = p.nextToken()) {
          String name = p.currentName();
          o.replace(name, value(p, p.nextToken()));
        }
        yield o;
      }
      case START_ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) a.add(value(p, e));
        yield a;
      }
      case VALUE_STRING -> NODES.textNode(p.getText());
      case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
        case INT -> NODES.numberNode(p.getIntValue());
        case LONG -> NODES.numberNode(p.getLongValue());
        default -> NODES.numberNode(p.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDoubleValue());
      case VALUE_TRUE -> NODES.booleanNode(true);
      case VALUE_FALSE -> NODES.booleanNode(false);
      case VALUE_NULL -> NODES.nullNode();
      default -> throw new JsonParseException(p, "unexpected " + t);
    };
  }

  /** The mapper, made when a command first prints JSON. */
  private static final class Mapper {
    static final ObjectMapper INSTANCE = new ObjectMapper();
  }
}
