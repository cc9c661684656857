package io.sluice.api.codec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.sluice.api.ByteSize;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.FieldLocations;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.Spec;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads and writes configuration objects as YAML (multi-document) and JSON.
 *
 * <p>Reading is strict. These are errors: a field the object does not have, a value of the wrong
 * type (no quietly truncated {@code 1.5} for an integer, no {@code "8080"} string for a number, no
 * number for a duration), {@code null} as a list element or map value, a key written twice, and a
 * missing or wrong {@code apiVersion}, {@code kind}, {@code metadata.name} or {@code spec}. A field
 * written as {@code null} (or {@code key:} with no value) counts as left out, so its default applies.
 *
 * <p>Every error names the file and the line of the offending field ({@code routes.yaml:12}), the
 * object ({@code Route/orders}, or {@code document 2} while its kind or name is unknown) and the
 * field path ({@code spec.endpoints[1].address}). All documents of a text are read and all their
 * errors reported together; only a syntax error stops the reading of a text, at the line it names.
 * Each object read carries the line and column of each of its fields ({@link ConfigObject#fields()}),
 * so that validation, which runs later on the bound object, names them too ({@code routes.yaml:12:7}).
 *
 * <p>Stateless and thread-safe.
 */
public final class ObjectCodec {
  private static final List<String> TOP_LEVEL_FIELDS = List.of("apiVersion", "kind", "metadata", "spec");
  private static final List<String> METADATA_FIELDS = List.of("annotations", "labels", "name", "revision");

  /** Bounds the rebinding of one spec (see {@link #bind}); a spec with more problems than this is hopeless anyway. */
  private static final int MAX_BINDING_ATTEMPTS = 50;

  /** Binds trees to specs and specs to trees; the text formats only parse and print trees. */
  private static final ObjectMapper BINDER = JsonMapper.builder()
      .addModule(new SimpleModule("sluice")
          .addDeserializer(Duration.class, new Durations.Deserializer())
          .addSerializer(Duration.class, new Durations.Serializer()))
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .withCoercionConfig(LogicalType.Integer, c -> c
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
      .withCoercionConfig(LogicalType.Boolean, c -> c
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
      .defaultSetterInfo(JsonSetter.Value.forContentNulls(Nulls.FAIL))
      // Empty lists and maps are the defaults, so they are left out; an empty string is not.
      .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_EMPTY, JsonInclude.Include.NON_NULL))
      .withConfigOverride(String.class, o -> o.setIncludeAsProperty(JsonInclude.Value.construct(
          JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL)))
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .build();
  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      // "limits:" with nothing after it means left out, as in every other YAML tool.
      .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
      // YAML 1.2, not 1.1: "no" is a string, never false (a header value "no" must stay "no").
      .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      // Strings that look like numbers or booleans stay strings when read back.
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .loaderOptions(yamlLoaderOptions())
      .build());
  private static final ObjectMapper JSON = new ObjectMapper(new JsonFactory());

  private ObjectCodec() {}

  /**
   * SnakeYAML's defaults but for the size of one document: 16 Mi code points, the admin API's
   * request body bound, instead of 3 Mi, so that a Secret's {@code data} (up to 8 MiB, about 11 Mi
   * characters of base64) can be written in YAML as in JSON.
   */
  private static org.yaml.snakeyaml.LoaderOptions yamlLoaderOptions() {
    org.yaml.snakeyaml.LoaderOptions o = new org.yaml.snakeyaml.LoaderOptions();
    o.setCodePointLimit(16 * 1024 * 1024);
    return o;
  }

  /**
   * Reads every object of a multi-document YAML text ({@code ---} between documents); empty
   * documents are skipped. A document that is a list of objects, or a list wrapper ({@code items:}
   * holding the objects, as the admin API lists them), holds each of them. Each object's
   * {@link ConfigObject#source()} is {@code sourceName:LINE}, the line its document (or list element) starts on.
   *
   * @param sourceName names the text in errors, usually the file path relative to the config directory
   * @throws ConfigException with every error of every document
   */
  public static List<ConfigObject<?>> readYaml(String sourceName, String text) throws ConfigException {
    return read(YAML, "YAML", sourceName, text);
  }

  /**
   * Reads a JSON text holding one object, several objects one after the other, an array of
   * objects, or a list wrapper {@code {"items": [...]}} as the admin API lists them (each element
   * then counts as a document).
   *
   * @throws ConfigException with every error of every object
   */
  public static List<ConfigObject<?>> readJson(String sourceName, String text) throws ConfigException {
    return read(JSON, "JSON", sourceName, text);
  }

  /**
   * Like {@link #readYaml(String, String)}, but a broken document does not cost the others: its
   * errors are added to {@code errors} and the objects of the documents that could be read are
   * returned, so that they can still be validated (every error of a directory in one pass).
   */
  public static List<ConfigObject<?>> readYaml(String sourceName, String text, List<ConfigError> errors) {
    return read(YAML, "YAML", sourceName, text, errors);
  }

  /** Like {@link #readJson(String, String)}, adding errors to {@code errors} and returning the readable objects. */
  public static List<ConfigObject<?>> readJson(String sourceName, String text, List<ConfigError> errors) {
    return read(JSON, "JSON", sourceName, text, errors);
  }

  /**
   * The object as YAML (one document, no {@code ---}), in the shape {@link #readYaml} reads back as
   * an equal object (apart from its source). Fields are written in declaration order, map entries
   * by key, durations as {@code 250ms}/{@code 5s}/{@code 1m}, sizes as {@code 16KiB}; empty lists
   * and maps are left out.
   */
  public static String toYaml(ConfigObject<?> o) {
    try {
      return YAML.writeValueAsString(tree(o));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + o.ref() + " as YAML", e);
    }
  }

  /** The object as compact JSON, written like {@link #toYaml}, in the shape {@link #readJson} reads back. */
  public static String toJson(ConfigObject<?> o) {
    try {
      return JSON.writeValueAsString(tree(o));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + o.ref() + " as JSON", e);
    }
  }

  /** {@link #toYaml} with the object's credentials replaced as {@link Redaction} does. */
  public static String toRedactedYaml(ConfigObject<?> o) {
    try {
      return YAML.writeValueAsString(Redaction.redactObject(tree(o)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + o.ref() + " as YAML", e);
    }
  }

  /** {@link #toJson} with the object's credentials replaced as {@link Redaction} does. */
  public static String toRedactedJson(ConfigObject<?> o) {
    try {
      return JSON.writeValueAsString(Redaction.redactObject(tree(o)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + o.ref() + " as JSON", e);
    }
  }

  private static ObjectNode tree(ConfigObject<?> o) {
    ObjectNode n = BINDER.createObjectNode();
    n.put("apiVersion", o.apiVersion());
    n.put("kind", o.kind().displayName());
    ObjectNode meta = n.putObject("metadata");
    meta.put("name", o.name());
    if (!o.metadata().labels().isEmpty()) meta.set("labels", BINDER.valueToTree(o.metadata().labels()));
    if (!o.metadata().annotations().isEmpty()) meta.set("annotations", BINDER.valueToTree(o.metadata().annotations()));
    if (o.metadata().revision() > 0) meta.put("revision", o.metadata().revision());
    n.set("spec", BINDER.valueToTree(o.spec()));
    return n;
  }

  private static List<ConfigObject<?>> read(ObjectMapper format, String formatName, String sourceName, String text)
      throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    List<ConfigObject<?>> objects = read(format, formatName, sourceName, text, errors);
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return objects;
  }

  private static List<ConfigObject<?>> read(ObjectMapper format, String formatName, String sourceName, String text,
      List<ConfigError> errors) {
    List<ConfigObject<?>> objects = new ArrayList<>();
    int documents = 0;
    try (JsonParser p = format.createParser(text)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t == JsonToken.START_ARRAY) {
          while (p.nextToken() != JsonToken.END_ARRAY) {
            decode(Document.read(p, documents + 1), sourceName, objects, errors);
            documents++;
          }
        } else {
          Document d = Document.read(p, documents + 1);
          if (d.isItemList()) {
            // What a list GET answers (and `sluice get -o json` of a kind prints), so an export applies as it is.
            for (Document item : d.items(documents + 1)) decode(item, sourceName, objects, errors);
            documents += d.root().path("items").size();
          } else {
            documents++;
            if (!d.isEmpty()) decode(d, sourceName, objects, errors);
          }
        }
      }
    } catch (StreamReadException e) {
      errors.add(syntaxError(e, formatName, sourceName, documents + 1));
    } catch (IOException e) {
      // Reading from a String: only the parser's own limits (nesting depth, number length) end up here.
      errors.add(new ConfigError(sourceName, "document " + (documents + 1), "", "cannot read " + formatName + ": " + e.getMessage()));
    }
    return objects;
  }

  private static ConfigError syntaxError(StreamReadException e, String formatName, String sourceName, int document) {
    int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
    String message = e.getOriginalMessage();
    // SnakeYAML's message spans several lines with a drawing of the spot; keep the gist on one line.
    if (e.getCause() instanceof MarkedYAMLException y) {
      line = y.getProblemMark() == null ? line : y.getProblemMark().getLine() + 1;
      message = y.getProblem() + (y.getContext() == null ? "" : " (" + y.getContext()
          + (y.getContextMark() == null ? "" : " started on line " + (y.getContextMark().getLine() + 1)) + ")");
    }
    return new ConfigError(sourceName + (line > 0 ? ":" + line : ""), "document " + document, "",
        "not valid " + formatName + ": " + message.strip().replaceAll("\\s*\\n\\s*", " "));
  }

  /** Adds the object of {@code d} to {@code out}, or every error found in it to {@code errors}. */
  private static void decode(Document d, String sourceName, List<ConfigObject<?>> out, List<ConfigError> errors) {
    JsonNode node = d.root();
    JsonNode kindNode = node.path("kind");
    JsonNode nameNode = node.path("metadata").path("name");
    Kind kind = kindNode.isTextual() ? Kind.fromName(kindNode.asText()) : null;
    String name = nameNode.isTextual() && !nameNode.asText().isEmpty() ? nameNode.asText() : null;
    Errors e = new Errors(sourceName, d, name == null ? "document " + d.number() : (kind == null ? "?" : kind.displayName()) + "/" + name);
    if (!node.isObject()) {
      e.add("", "expected an object with apiVersion, kind, metadata and spec, got " + describe(node));
      errors.addAll(e.inLineOrder());
      return;
    }
    for (Document.Duplicate dup : d.duplicates()) {
      e.add(dup.path(), dup.position(), "duplicate field '" + dup.key() + "' (first written on line " + dup.firstLine() + ")");
    }
    unknownFields(e, node, "", TOP_LEVEL_FIELDS);
    JsonNode apiVersion = node.path("apiVersion");
    if (apiVersion.isMissingNode()) {
      e.add("apiVersion", "missing; expected '" + ConfigObject.API_VERSION + "'");
    } else if (!apiVersion.isTextual() || !apiVersion.asText().equals(ConfigObject.API_VERSION)) {
      e.add("apiVersion", "expected '" + ConfigObject.API_VERSION + "', got " + describeValue(apiVersion));
    }
    if (kindNode.isMissingNode()) {
      e.add("kind", "missing; expected one of " + kindNames());
    } else if (kind == null) {
      e.add("kind", "expected one of " + kindNames() + ", got " + describeValue(kindNode));
    }
    ObjectMeta meta = metadata(e, node.path("metadata"));
    JsonNode specNode = node.path("spec");
    Spec spec = null;
    if (specNode.isMissingNode() || specNode.isNull()) {
      e.add("spec", "missing; expected an object with the " + (kind == null ? "object's" : kind.displayName()) + " settings");
    } else if (!specNode.isObject()) {
      e.add("spec", "expected an object, got " + describe(specNode));
    } else if (kind != null) {
      spec = bind(e, specNode, kind.specClass());
    }
    if (e.count() == 0 && kind != null && meta != null && spec != null) {
      out.add(new ConfigObject<>(ConfigObject.API_VERSION, kind, meta, spec, sourceName + ":" + d.line(), d.locations(sourceName)));
    }
    errors.addAll(e.inLineOrder());
  }

  private static @Nullable ObjectMeta metadata(Errors e, JsonNode m) {
    if (m.isMissingNode() || m.isNull()) {
      e.add("metadata", "missing; expected an object with at least a name");
      return null;
    }
    if (!m.isObject()) {
      e.add("metadata", "expected an object with at least a name, got " + describe(m));
      return null;
    }
    int before = e.count();
    unknownFields(e, m, "metadata.", METADATA_FIELDS);
    JsonNode name = m.path("name");
    if (name.isMissingNode() || name.isNull()) {
      e.add("metadata.name", "missing; every object needs a name");
    } else if (!name.isTextual()) {
      e.add("metadata.name", "expected a string, got " + describe(name));
    }
    Map<String, String> labels = stringMap(e, m.path("labels"), "metadata.labels");
    Map<String, String> annotations = stringMap(e, m.path("annotations"), "metadata.annotations");
    long revision = 0;
    JsonNode rev = m.path("revision");
    if (!rev.isMissingNode() && !rev.isNull()) {
      if (rev.canConvertToExactIntegral() && rev.canConvertToLong() && rev.asLong() >= 0) {
        revision = rev.asLong();
      } else {
        e.add("metadata.revision", "expected a revision number >= 0, got " + describeValue(rev));
      }
    }
    return e.count() > before ? null : new ObjectMeta(name.asText(), labels, annotations, revision);
  }

  private static Map<String, String> stringMap(Errors e, JsonNode n, String field) {
    Map<String, String> out = new LinkedHashMap<>();
    if (n.isMissingNode() || n.isNull()) return out;
    if (!n.isObject()) {
      e.add(field, "expected a map of strings, got " + describe(n));
      return out;
    }
    for (Map.Entry<String, JsonNode> entry : n.properties()) {
      JsonNode v = entry.getValue();
      if (v.isValueNode() && !v.isNull()) {
        out.put(entry.getKey(), v.asText());
      } else {
        e.add(field + "." + entry.getKey(), "expected a string, got " + describe(v));
      }
    }
    return out;
  }

  private static void unknownFields(Errors e, JsonNode n, String prefix, List<String> known) {
    for (Map.Entry<String, JsonNode> entry : n.properties()) {
      if (!known.contains(entry.getKey())) {
        e.add(prefix + entry.getKey(), unknownField(entry.getKey(), known));
      }
    }
  }

  private static String unknownField(String name, Collection<?> known) {
    return "unknown field '" + name + "' (known fields: "
        + known.stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")";
  }

  /**
   * Parses one YAML (or JSON) document into a tree, with the YAML rules of configuration files
   * (YAML 1.2 booleans: {@code no} is a string; an empty value is null): for a value written on its
   * own, such as a filter's {@code config} in a test.
   *
   * @throws IllegalArgumentException on a syntax error, naming its line and column
   */
  public static JsonNode readYamlTree(String text) {
    try {
      JsonNode node = YAML.readTree(text);
      return node == null || node.isMissingNode() ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : node;
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new IllegalArgumentException("invalid YAML" + (at == null ? "" : " at line " + at.getLineNr() + ", column "
          + at.getColumnNr()) + ": " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Binds {@code node} to {@code type} exactly as the {@code spec} of an object is bound: strictly
   * (unknown fields, wrong types and nulls in lists are errors), with durations as {@code 5s} and
   * sizes as {@code 16KiB}, reporting every problem rather than the first. Used for values that
   * only code outside this module understands, such as the {@code config} of a filter.
   *
   * @param problems receives each problem: the field path relative to {@code node} as written
   *     ({@code allowOrigins[0]}, {@code request.set}; empty for {@code node} itself) and a message
   * @return the bound value, or null when there was any problem
   */
  public static <T> @Nullable T bind(JsonNode node, Class<T> type, BiConsumer<String, String> problems) {
    JsonNode remaining = node.deepCopy();
    boolean failed = false;
    ObjectMapper binder = binderFor(type);
    for (int attempt = 0; attempt < MAX_BINDING_ATTEMPTS; attempt++) {
      try {
        T value = binder.treeToValue(remaining, type);
        return failed ? null : value;
      } catch (JsonMappingException x) {
        failed = true;
        String p = path(x.getPath());
        problems.accept(p.startsWith(".") ? p.substring(1) : p, bindingMessage(x, at(remaining, x.getPath())));
        if (!drop(remaining, x.getPath())) return null;
      } catch (JsonProcessingException x) {
        // Not a binding problem but a limit of the parser (a number too long to read): no path to name.
        problems.accept("", "cannot read: " + x.getOriginalMessage());
        return null;
      }
    }
    return null;
  }

  /**
   * The mapper that binds {@code type}: {@link #BINDER}, or for a type of another class loader (a
   * plugin's filter config) a copy with caches of its own. Jackson caches what it learns of a type
   * (deserializers, resolved types) in the mapper and its type factory; in the shared mapper that
   * would keep a plugin's classes, hence its class loader, alive after the plugin is replaced. The
   * copy costs a little at validation and apply time, never per request.
   */
  private static ObjectMapper binderFor(Class<?> type) {
    if (type.getClassLoader() == ObjectCodec.class.getClassLoader() || type.getClassLoader() == null) return BINDER;
    ObjectMapper copy = BINDER.copy();
    com.fasterxml.jackson.databind.util.LookupCache<Object, com.fasterxml.jackson.databind.JavaType> types =
        new com.fasterxml.jackson.databind.util.LRUMap<>(16, 64);
    copy.setTypeFactory(copy.getTypeFactory().withCache(types));
    return copy;
  }

  /**
   * Binds a spec, reporting every problem: Jackson stops at the first one, so the offending field is
   * dropped from a copy of the tree and the binding repeated until it succeeds. A problem inside a
   * list drops the whole list, since dropping one element would shift the index of the next problem.
   */
  private static @Nullable Spec bind(Errors e, JsonNode node, Class<? extends Spec> type) {
    return bind(node, type, (field, message) ->
        e.add(field.isEmpty() ? "spec" : field.startsWith("[") ? "spec" + field : "spec." + field, message));
  }

  /** Removes the field the path ends in, or the list it ends in; false when the path names no field. */
  private static boolean drop(JsonNode root, List<JsonMappingException.Reference> refs) {
    int field = refs.size() - 1;
    while (field >= 0 && refs.get(field).getFieldName() == null) field--;
    if (field < 0) return false;
    JsonNode parent = at(root, refs.subList(0, field));
    return parent instanceof ObjectNode o && o.remove(refs.get(field).getFieldName()) != null;
  }

  private static String bindingMessage(JsonMappingException e, @Nullable JsonNode found) {
    if (e instanceof UnrecognizedPropertyException u) {
      return unknownField(u.getPropertyName(), u.getKnownPropertyIds() == null ? List.of() : u.getKnownPropertyIds());
    }
    if (e instanceof InvalidFormatException f && f.getTargetType() == Duration.class) {
      return f.getOriginalMessage();
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof InputCoercionException c && found != null) {
        return "expected " + typeName(c.getTargetType()) + rangeOf(c.getTargetType()) + ", got " + describe(found);
      }
      // Record constructors and @JsonCreator factories say what is wrong in their own words.
      if (t instanceof IllegalArgumentException && t.getMessage() != null) return t.getMessage();
    }
    String got = found == null ? "nothing" : describe(found);
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      return "expected " + typeName(m.getTargetType()) + ", got " + got;
    }
    if (e instanceof ValueInstantiationException v) {
      return "expected " + typeName(v.getType().getRawClass()) + ", got " + got
          + (v.getCause() == null ? "" : " (" + v.getCause().getMessage() + ")");
    }
    return e.getOriginalMessage();
  }

  /** {@code .a.b[1].c} from a Jackson reference path. */
  private static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        sb.append('.').append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  /** The node the reference path leads to, or null where the path leaves the tree. */
  private static @Nullable JsonNode at(JsonNode root, List<JsonMappingException.Reference> refs) {
    JsonNode n = root;
    for (JsonMappingException.Reference r : refs) {
      n = r.getFieldName() != null ? n.path(r.getFieldName()) : n.path(r.getIndex());
    }
    return n.isMissingNode() ? null : n;
  }

  private static String typeName(Class<?> t) {
    if (t == Integer.class || t == int.class || t == Long.class || t == long.class) return "an integer";
    if (t == String.class) return "a string";
    if (t == Double.class || t == double.class) return "a number";
    if (t == Boolean.class || t == boolean.class) return "true or false";
    if (t == Duration.class) return Durations.EXPECTED;
    if (t == ByteSize.class) return "a size such as 512, 16KiB or 10MiB";
    if (Collection.class.isAssignableFrom(t)) return "a list";
    if (Map.class.isAssignableFrom(t)) return "a map";
    if (t.isEnum()) {
      return "one of " + Arrays.stream(t.getEnumConstants()).map(c -> BINDER.valueToTree(c).asText())
          .collect(Collectors.joining(", "));
    }
    if (t.isRecord()) {
      return "an object with fields " + Arrays.stream(t.getRecordComponents()).map(RecordComponent::getName)
          .sorted().collect(Collectors.joining(", "));
    }
    return "a " + t.getSimpleName();
  }

  private static String rangeOf(Class<?> t) {
    if (t == Integer.class || t == int.class) return " from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
    if (t == Long.class || t == long.class) return " from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE;
    return "";
  }

  /** What was found, for a message that expected a type: {@code a string 'abc'}, {@code a list}. */
  private static String describe(JsonNode n) {
    if (n.isTextual()) return "a string '" + n.asText() + "'";
    if (n.isNumber()) return "a number " + n.asText();
    if (n.isBoolean()) return "a boolean " + n.asText();
    if (n.isNull()) return "null";
    if (n.isArray()) return "a list";
    if (n.isObject()) return "an object";
    return "a " + n.getNodeType().name().toLowerCase(Locale.ROOT) + " value";
  }

  /** What was found, for a message that expected a particular string: {@code 'sluice.io/v2'}, {@code a number 1}. */
  private static String describeValue(JsonNode n) {
    return n.isTextual() ? "'" + n.asText() + "'" : describe(n);
  }

  private static String kindNames() {
    return Arrays.stream(Kind.values()).map(Kind::displayName).sorted().collect(Collectors.joining(", "));
  }

  /** The errors of one document, each placed on the line and column of its field. */
  private static final class Errors {
    private final List<Map.Entry<Long, ConfigError>> byLine = new ArrayList<>();
    private final String sourceName;
    private final Document document;
    private final String object;

    Errors(String sourceName, Document document, String object) {
      this.sourceName = sourceName;
      this.document = document;
      this.object = object;
    }

    void add(String field, String message) {
      add(field, document.positionOf(field), message);
    }

    /**
     * @param position a {@link FieldLocations#position}; only its line is named (decoding errors
     *     name lines, as they always did; validation errors, found on the bound object, add the column)
     */
    void add(String field, long position, String message) {
      int line = (int) (position >>> 32);
      byLine.add(Map.entry(position, new ConfigError(sourceName + ":" + line, object, field, message)));
    }

    int count() {
      return byLine.size();
    }

    /** In line order, the order in which a reader fixes them; errors on one line keep the order they were found in. */
    List<ConfigError> inLineOrder() {
      return byLine.stream().sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue).toList();
    }
  }
}
