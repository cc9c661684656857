package io.sluice.admin.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * JSON and YAML on the wire. Objects are written exactly as {@link ObjectCodec} writes them; YAML
 * answers use the same YAML settings as {@link ObjectCodec#toYaml}, so an object in a YAML list
 * reads the same as the object on its own. Thread-safe.
 */
public final class Wire {
  public static final String JSON_TYPE = "application/json";
  public static final String YAML_TYPE = "application/yaml";

  public static final ObjectMapper JSON = JsonMapper.builder()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
      .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .build());
  private static final List<String> YAML_TYPES = List.of("application/yaml", "application/x-yaml", "text/yaml");

  private Wire() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** The object as {@link ObjectCodec#toJson} writes it, as a tree. */
  public static JsonNode tree(ConfigObject<?> o) {
    try {
      return JSON.readTree(ObjectCodec.toJson(o));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("ObjectCodec wrote JSON that does not read back for " + o.ref(), e);
    }
  }

  public static JsonNode treeOrNull(@Nullable ConfigObject<?> o) {
    return o == null ? JsonNodeFactory.instance.nullNode() : tree(o);
  }

  /**
   * The object as {@link #tree} gives it, with its credentials shown only when {@code reader} may
   * see them (editors); for other roles they read {@link io.sluice.api.codec.Redaction#REDACTED}.
   */
  public static JsonNode treeFor(Principal reader, @Nullable ConfigObject<?> o) {
    if (o == null) return JsonNodeFactory.instance.nullNode();
    if (seesCredentials(reader)) return tree(o);
    try {
      return JSON.readTree(ObjectCodec.toRedactedJson(o));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("ObjectCodec wrote JSON that does not read back for " + o.ref(), e);
    }
  }

  /** True when {@code reader} may read credentials: only editors and admins, who could set them anyway. */
  public static boolean seesCredentials(Principal reader) {
    return reader.may(io.sluice.admin.AdminToken.Role.EDITOR);
  }

  /** True when the request asks for YAML: {@code ?output=yaml} or an {@code Accept} naming a YAML type. */
  public static boolean wantsYaml(ApiRequest r) {
    String output = r.queryParameter("output");
    if (output != null) {
      return switch (output) {
        case "yaml" -> true;
        case "json" -> false;
        default -> throw ApiError.badRequest("query parameter output must be json or yaml, got '" + output + "'");
      };
    }
    for (String accept : r.headers().getAll(HttpHeaderNames.ACCEPT)) {
      for (String range : accept.split(",")) {
        if (YAML_TYPES.contains(mediaType(range))) return true;
      }
    }
    return false;
  }

  /** True when the body is YAML by its {@code Content-Type}; JSON otherwise. */
  public static boolean bodyIsYaml(ApiRequest r) {
    String type = r.headers().get(HttpHeaderNames.CONTENT_TYPE);
    return type != null && YAML_TYPES.contains(mediaType(type));
  }

  /** True when a {@code Content-Type} value names JSON or one of the YAML types, whatever its parameters. */
  public static boolean isBodyType(String contentType) {
    String type = mediaType(contentType);
    return type.equals(JSON_TYPE) || YAML_TYPES.contains(type);
  }

  private static String mediaType(String value) {
    int semi = value.indexOf(';');
    return (semi < 0 ? value : value.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
  }

  /** {@code tree} as YAML or JSON, as the request asks. */
  public static ApiResponse render(ApiRequest r, HttpResponseStatus status, JsonNode tree) {
    try {
      if (wantsYaml(r)) {
        return new ApiResponse(status, YAML_TYPE + "; charset=utf-8", YAML.writeValueAsBytes(tree));
      }
      return new ApiResponse(status, JSON_TYPE, JSON.writeValueAsBytes(tree));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a response tree", e);
    }
  }

  /** The body of an error answer (always JSON). */
  public static byte[] errorBody(ApiError e) {
    ObjectNode n = object();
    n.put("error", e.code());
    n.put("message", e.getMessage());
    if (e.reason() != null) n.put("reason", e.reason());
    ArrayNode details = n.putArray("details");
    e.details().forEach(details::add);
    if (!e.errors().isEmpty()) {
      ArrayNode errors = n.putArray("errors");
      for (ConfigError c : e.errors()) {
        errors.addObject().put("source", c.source()).put("object", c.object()).put("field", c.field()).put("message", c.message());
      }
    }
    try {
      return JSON.writeValueAsBytes(n);
    } catch (JsonProcessingException x) {
      throw new IllegalStateException("cannot write an error body", x);
    }
  }

  /**
   * Parses a JSON (or, with {@code yaml}, a single-document YAML) body into a tree.
   *
   * @throws ApiError 400 naming where the text broke
   */
  public static JsonNode parse(String text, boolean yaml) {
    try {
      JsonNode n = (yaml ? YAML : JSON).readTree(text);
      if (n == null || n.isMissingNode()) throw ApiError.badRequest("the request body is empty");
      return n;
    } catch (JsonProcessingException e) {
      throw notParseable(e, yaml);
    }
  }

  /**
   * Checks that {@code text} is syntactically valid JSON or multi-document YAML, so that a broken
   * body is told apart (400) from objects that are wrong (422).
   *
   * @throws ApiError 400 naming the line and column where the text broke
   */
  public static void checkSyntax(String text, boolean yaml) {
    try (var it = (yaml ? YAML : JSON).readerFor(JsonNode.class).readValues(text)) {
      while (it.hasNextValue()) it.nextValue();
    } catch (JsonProcessingException e) {
      throw notParseable(e, yaml);
    } catch (java.io.IOException e) {
      throw ApiError.badRequest("cannot read the request body: " + e.getMessage());
    } catch (RuntimeException e) {
      // MappingIterator wraps parse errors met in hasNextValue in a RuntimeJsonMappingException.
      if (e.getCause() instanceof JsonProcessingException p) throw notParseable(p, yaml);
      throw e;
    }
  }

  private static ApiError notParseable(JsonProcessingException e, boolean yaml) {
    SyntaxProblem p = syntaxProblem(e);
    String where = p.line() > 0 ? " at line " + p.line() + (p.column() > 0 ? ", column " + p.column() : "") : "";
    return ApiError.badRequest("the request body is not valid " + (yaml ? "YAML" : "JSON") + where + ": " + p.message()
        + (yaml ? "" : " (send Content-Type: application/yaml for YAML)"));
  }

  /** Where a text broke and why, on one line. */
  public record SyntaxProblem(int line, int column, String message) {}

  /**
   * The place and gist of a parse error. SnakeYAML's own message spans several lines with a drawing
   * of the spot; this keeps the problem and its context on one line.
   */
  public static SyntaxProblem syntaxProblem(JsonProcessingException e) {
    int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
    int column = e.getLocation() == null ? 0 : e.getLocation().getColumnNr();
    String message = e.getOriginalMessage();
    if (e.getCause() instanceof MarkedYAMLException y) {
      if (y.getProblemMark() != null) {
        line = y.getProblemMark().getLine() + 1;
        column = y.getProblemMark().getColumn() + 1;
      }
      message = y.getProblem() + (y.getContext() == null ? "" : " (" + y.getContext()
          + (y.getContextMark() == null ? "" : " started on line " + (y.getContextMark().getLine() + 1)) + ")");
    }
    return new SyntaxProblem(line, column, String.valueOf(message).strip().replaceAll("\\s*\\n\\s*", " "));
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
