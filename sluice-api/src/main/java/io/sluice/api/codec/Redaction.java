package io.sluice.api.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.Credential;
import io.sluice.api.Kind;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.filter.FilterSpec;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Hides credentials in an object's written form (the tree {@link ObjectCodec#toJson} writes): every
 * value of a record component marked {@link Credential}, in the spec and in the {@code config} of
 * every filter whose kind the installed {@link FilterConfigValidator} knows, becomes
 * {@link #REDACTED} (of a credential that is a map, such as a Secret's {@code data}, each value, the keys
 * staying visible); the whole {@code config} of a filter whose kind no installed validator knows
 * becomes {@link #REDACTED} (fail closed: its credentials cannot be told apart). A credential that is left out or {@code null} stays so, so a reader can still
 * tell which credentials an object has. Stateless and thread-safe.
 */
public final class Redaction {
  /**
   * What a hidden credential reads as. A fixed text rather than a hash of the value: a hash of a
   * short password or key can be reversed by trying candidates, and the text says plainly that the
   * value is there but not shown (as Kubernetes hides a Secret's data from those who may not read it).
   */
  public static final String REDACTED = "<redacted>";

  private Redaction() {}

  /**
   * Replaces, in place, the credentials of one object's tree ({@code kind}, {@code spec}, ...). A
   * tree whose {@code kind} is unknown or which is not an object is left as it is.
   *
   * @return {@code object}, for chaining
   */
  public static JsonNode redactObject(JsonNode object) {
    if (!(object instanceof ObjectNode o)) return object;
    Kind kind = Kind.fromName(o.path("kind").asText(""));
    JsonNode spec = o.get("spec");
    if (kind != null && spec != null) walk(spec, kind.specClass(), FilterConfigValidator.installed());
    return object;
  }

  private static void walk(JsonNode node, Type type, @Nullable FilterConfigValidator filters) {
    Class<?> raw = raw(type);
    if (raw == null) return;
    if (raw == FilterSpec.class && node instanceof ObjectNode o) {
      JsonNode config = o.get("config");
      if (config == null || config.isNull()) return;
      Class<?> configType = filters == null ? null : filters.configType(o.path("kind").asText(""));
      if (configType != null) {
        walk(config, configType, filters);
      } else {
        // A kind no installed filter declares (or no filters at all): which of its fields are
        // credentials is unknown, so none of it is shown.
        o.put("config", REDACTED);
      }
      return;
    }
    if (raw.isRecord() && node instanceof ObjectNode o) {
      for (RecordComponent c : raw.getRecordComponents()) {
        JsonNode child = o.get(c.getName());
        if (child == null || child.isNull()) continue;
        if (c.isAnnotationPresent(Credential.class) && child instanceof ObjectNode values && Map.class.isAssignableFrom(c.getType())) {
          // Keyed credentials (a Secret's data): the keys say what the object holds, the values are hidden.
          for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isNull()) e.setValue(values.textNode(REDACTED));
          }
        } else if (c.isAnnotationPresent(Credential.class)) {
          o.put(c.getName(), REDACTED);
        } else {
          walk(child, c.getGenericType(), filters);
        }
      }
    } else if (Collection.class.isAssignableFrom(raw) && node instanceof ArrayNode a) {
      Type element = typeArgument(type, 0);
      if (element != null) a.forEach(e -> walk(e, element, filters));
    } else if (Map.class.isAssignableFrom(raw) && node instanceof ObjectNode o) {
      Type value = typeArgument(type, 1);
      if (value == null) return;
      for (Iterator<JsonNode> it = o.elements(); it.hasNext(); ) walk(it.next(), value, filters);
    }
  }

  private static @Nullable Class<?> raw(Type type) {
    if (type instanceof Class<?> c) return c;
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) return c;
    return null;
  }

  private static @Nullable Type typeArgument(Type type, int index) {
    if (!(type instanceof ParameterizedType p)) return null;
    Type[] args = p.getActualTypeArguments();
    return index < args.length ? args[index] : null;
  }
}
