package io.sluice.api.codec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.Spec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads and writes configuration objects as YAML (multi-document) and JSON.
 *
 * <p>Reading is strict: unknown fields, wrong types, a missing {@code apiVersion}, {@code kind},
 * {@code metadata.name} or {@code spec} are errors that name the file (with the line where the
 * object's document starts), the object and the field path. All errors of a text are collected.
 *
 * <p>Thread-safe: the mappers are configured once and shared.
 */
public final class ObjectCodec {
  private static final Set<String> TOP_LEVEL_FIELDS = Set.of("apiVersion", "kind", "metadata", "spec");
  private static final Set<String> METADATA_FIELDS = Set.of("name", "labels", "annotations");

  private static final SimpleModule MODULE = new SimpleModule("sluice")
      .addDeserializer(Duration.class, new Durations.Deserializer())
      .addSerializer(Duration.class, new Durations.Serializer());
  private static final ObjectMapper YAML = configure(new ObjectMapper(
      YAMLFactory.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .build()));
  private static final ObjectMapper JSON = configure(new ObjectMapper(new JsonFactory()));

  private ObjectCodec() {}

  private static ObjectMapper configure(ObjectMapper m) {
    return m.registerModule(MODULE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .setSerializationInclusion(JsonInclude.Include.NON_EMPTY);
  }

  /** Reads every object of a multi-document YAML text; empty documents are skipped. */
  public static List<ConfigObject<?>> readYaml(String sourceName, String text) throws ConfigException {
    return read(YAML, sourceName, text);
  }

  /** Reads a JSON text holding one object or an array of objects. */
  public static List<ConfigObject<?>> readJson(String sourceName, String text) throws ConfigException {
    return read(JSON, sourceName, text);
  }

  private static List<ConfigObject<?>> read(ObjectMapper mapper, String sourceName, String text) throws ConfigException {
    List<ConfigObject<?>> objects = new ArrayList<>();
    List<ConfigError> errors = new ArrayList<>();
    int document = 0;
    try (JsonParser p = mapper.createParser(text)) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        int line = p.currentTokenLocation().getLineNr();
        JsonNode node = mapper.readTree(p);
        if (t == JsonToken.START_ARRAY && mapper == JSON) {
          for (JsonNode element : node) {
            document++;
            decode(element, sourceName + ":" + line, "document " + document, objects, errors);
          }
          continue;
        }
        document++;
        if (node == null || node.isNull() || node.isMissingNode()) continue;
        decode(node, sourceName + ":" + line, "document " + document, objects, errors);
      }
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      errors.add(new ConfigError(sourceName + (line > 0 ? ":" + line : ""), "document " + (document + 1), "",
          "not valid " + (mapper == JSON ? "JSON" : "YAML") + ": " + e.getOriginalMessage()));
    } catch (IOException e) {
      errors.add(new ConfigError(sourceName, "?", "", "cannot read: " + e.getMessage()));
    }
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return objects;
  }

  private static void decode(JsonNode node, String source, String document, List<ConfigObject<?>> out,
      List<ConfigError> errors) {
    if (!node.isObject()) {
      errors.add(new ConfigError(source, document, "", "expected an object with apiVersion, kind, metadata and spec, got "
          + describe(node)));
      return;
    }
    String name = node.path("metadata").path("name").isTextual() ? node.path("metadata").path("name").asText() : null;
    JsonNode kindNode = node.get("kind");
    Kind kind = kindNode != null && kindNode.isTextual() ? Kind.fromName(kindNode.asText()) : null;
    String object = kind != null && name != null ? kind + "/" + name
        : kindNode != null && kindNode.isTextual() && name != null ? kindNode.asText() + "/" + name
        : name != null ? "?/" + name : document;
    int before = errors.size();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!TOP_LEVEL_FIELDS.contains(f)) {
        errors.add(new ConfigError(source, object, f, "unknown field '" + f + "' (known fields: apiVersion, kind, metadata, spec)"));
      }
    }
    JsonNode apiVersion = node.get("apiVersion");
    if (apiVersion == null) {
      errors.add(new ConfigError(source, object, "apiVersion", "missing; expected '" + ConfigObject.API_VERSION + "'"));
    } else if (!apiVersion.isTextual() || !apiVersion.asText().equals(ConfigObject.API_VERSION)) {
      errors.add(new ConfigError(source, object, "apiVersion", "expected '" + ConfigObject.API_VERSION + "', got " + describe(apiVersion)));
    }
    if (kindNode == null) {
      errors.add(new ConfigError(source, object, "kind", "missing; expected one of " + kindNames()));
    } else if (kind == null) {
      errors.add(new ConfigError(source, object, "kind", "expected one of " + kindNames() + ", got " + describe(kindNode)));
    }
    ObjectMeta meta = decodeMetadata(node.get("metadata"), source, object, errors);
    JsonNode specNode = node.get("spec");
    if (specNode == null || specNode.isNull()) {
      errors.add(new ConfigError(source, object, "spec", "missing; every object needs a spec"));
    } else if (!specNode.isObject()) {
      errors.add(new ConfigError(source, object, "spec", "expected an object, got " + describe(specNode)));
    }
    if (errors.size() > before || kind == null || meta == null) return;
    try {
      Spec spec = YAML.treeToValue(specNode, kind.specClass());
      out.add(new ConfigObject<>(ConfigObject.API_VERSION, kind, meta, spec, source));
    } catch (JsonProcessingException e) {
      errors.add(new ConfigError(source, object, "spec" + path(e), bindingMessage(e)));
    }
  }

  private static ObjectMeta decodeMetadata(JsonNode m, String source, String object, List<ConfigError> errors) {
    if (m == null || m.isNull()) {
      errors.add(new ConfigError(source, object, "metadata", "missing; expected an object with at least a name"));
      return null;
    }
    if (!m.isObject()) {
      errors.add(new ConfigError(source, object, "metadata", "expected an object, got " + describe(m)));
      return null;
    }
    int before = errors.size();
    for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!METADATA_FIELDS.contains(f)) {
        errors.add(new ConfigError(source, object, "metadata." + f, "unknown field '" + f + "' (known fields: annotations, labels, name)"));
      }
    }
    JsonNode name = m.get("name");
    if (name == null) {
      errors.add(new ConfigError(source, object, "metadata.name", "missing; every object needs a name"));
    } else if (!name.isTextual()) {
      errors.add(new ConfigError(source, object, "metadata.name", "expected a string, got " + describe(name)));
    }
    Map<String, String> labels = stringMap(m.get("labels"), source, object, "metadata.labels", errors);
    Map<String, String> annotations = stringMap(m.get("annotations"), source, object, "metadata.annotations", errors);
    if (errors.size() > before) return null;
    return new ObjectMeta(name.asText(), labels, annotations);
  }

  private static Map<String, String> stringMap(JsonNode n, String source, String object, String field, List<ConfigError> errors) {
    Map<String, String> out = new LinkedHashMap<>();
    if (n == null || n.isNull()) return out;
    if (!n.isObject()) {
      errors.add(new ConfigError(source, object, field, "expected a map of strings, got " + describe(n)));
      return out;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode() || e.getValue().isNull()) {
        errors.add(new ConfigError(source, object, field + "." + e.getKey(), "expected a string, got " + describe(e.getValue())));
      } else {
        out.put(e.getKey(), e.getValue().asText());
      }
    }
    return out;
  }

  /** {@code .a.b[1].c} from a Jackson exception's reference path. */
  private static String path(JsonProcessingException e) {
    if (!(e instanceof JsonMappingException m)) return "";
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : m.getPath()) {
      if (r.getFieldName() != null) {
        sb.append('.').append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String bindingMessage(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException u) {
      String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
          .map(Object::toString).sorted().collect(Collectors.joining(", "));
      return "unknown field '" + u.getPropertyName() + "' (known fields: " + known + ")";
    }
    if (e instanceof ValueInstantiationException v && v.getCause() != null) {
      return v.getCause().getMessage();
    }
    if (e instanceof InvalidFormatException f) {
      Throwable cause = f.getCause();
      if (cause instanceof IllegalArgumentException && cause.getMessage() != null) return cause.getMessage();
      return "expected " + typeName(f.getTargetType()) + ", got " + describeValue(f.getValue());
    }
    if (e instanceof MismatchedInputException mi && mi.getTargetType() != null) {
      String original = mi.getOriginalMessage();
      if (original != null && original.startsWith("expected a duration")) return original;
      return "expected " + typeName(mi.getTargetType()) + (original != null && original.contains("null") ? ", got null" : "");
    }
    if (e instanceof JsonMappingException m && m.getCause() instanceof IllegalArgumentException iae) {
      return iae.getMessage();
    }
    return e.getOriginalMessage();
  }

  private static String typeName(Class<?> t) {
    if (t == Integer.class || t == int.class || t == Long.class || t == long.class) return "an integer";
    if (t == String.class) return "a string";
    if (t == Boolean.class || t == boolean.class) return "true or false";
    if (t == Duration.class) return "a duration such as 250ms, 5s or 1m";
    if (List.class.isAssignableFrom(t) || Collection.class.isAssignableFrom(t)) return "a list";
    if (Map.class.isAssignableFrom(t) || t.isRecord()) return "an object";
    if (t.isEnum()) return "one of " + java.util.Arrays.toString(t.getEnumConstants());
    return t.getSimpleName();
  }

  private static String describeValue(Object v) {
    return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
  }

  private static String describe(JsonNode n) {
    if (n.isTextual()) return "'" + n.asText() + "'";
    if (n.isArray()) return "a list";
    if (n.isObject()) return "an object";
    if (n.isNull()) return "null";
    return n.toString();
  }

  private static String kindNames() {
    return java.util.Arrays.stream(Kind.values()).map(Kind::displayName).sorted().collect(Collectors.joining(", "));
  }

  /** The object as YAML, without defaults that were left out, in the shape {@link #readYaml} reads. */
  public static String toYaml(ConfigObject<?> o) {
    try {
      return YAML.writeValueAsString(tree(o));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + o.ref() + " as YAML", e);
    }
  }

  /** The object as JSON, in the shape {@link #readJson} reads. */
  public static String toJson(ConfigObject<?> o) {
    try {
      return JSON.writeValueAsString(tree(o));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + o.ref() + " as JSON", e);
    }
  }

  private static ObjectNode tree(ConfigObject<?> o) {
    ObjectNode n = JSON.createObjectNode();
    n.put("apiVersion", o.apiVersion());
    n.put("kind", o.kind().displayName());
    ObjectNode meta = n.putObject("metadata");
    meta.put("name", o.name());
    if (!o.metadata().labels().isEmpty()) meta.set("labels", JSON.valueToTree(o.metadata().labels()));
    if (!o.metadata().annotations().isEmpty()) meta.set("annotations", JSON.valueToTree(o.metadata().annotations()));
    n.set("spec", JSON.valueToTree(o.spec()));
    return n;
  }
}
