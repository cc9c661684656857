package io.sluice.api.schema;

import com.fasterxml.jackson.annotation.JsonValue;
import io.sluice.api.ByteSize;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.codec.Durations;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Builds {@link SchemaField} trees from the config records by reflection: the components give the
 * names and types, a record built with every component left out gives the defaults (the compact
 * constructors fill them in, as they do when a file leaves a field out), and {@link FieldDocs}
 * gives the descriptions. A field is required when its description says so ({@code "...; required"})
 * or when it is not {@code @Nullable} and has no default.
 *
 * <p>Stateless and thread-safe.
 */
public final class Schemas {
  /** "required" as the javadoc of a component says it: {@code required}, {@code ...; required}. */
  private static final Pattern REQUIRED = Pattern.compile("(^|; )required\\b");

  private Schemas() {}

  /** An object of {@code kind}: its {@code metadata} and its {@code spec}, with every level of fields. */
  public static SchemaField kind(Kind kind) {
    Class<?> spec = kind.specClass();
    List<SchemaField> top = List.of(
        record("metadata", ObjectMeta.class, true, FieldDocs.of(ObjectMeta.class).summary(), new HashSet<>()),
        record("spec", spec, true, FieldDocs.of(spec).summary(), new HashSet<>()));
    return new SchemaField(kind.displayName(), "object", null, true, FieldDocs.of(spec).summary(), List.of(), top);
  }

  /** The fields of {@code config}, a filter kind's config record, as a root named {@code name}. */
  public static SchemaField config(String name, Class<?> config) {
    return record(name, config, false, FieldDocs.of(config).summary(), new HashSet<>());
  }

  private static SchemaField record(String name, Class<?> type, boolean required, String description, Set<Class<?>> seen) {
    return new SchemaField(name, "object", null, required, description, List.of(), fields(type, seen));
  }

  /** The fields of a record, in declaration order; a record that contains itself stops at the second level. */
  private static List<SchemaField> fields(Class<?> type, Set<Class<?>> seen) {
    if (!type.isRecord() || !seen.add(type)) return List.of();
    try {
      FieldDocs docs = FieldDocs.of(type);
      @Nullable Object defaults = defaults(type);
      List<SchemaField> out = new ArrayList<>();
      for (RecordComponent c : type.getRecordComponents()) {
        String description = docs.param(c.getName());
        @Nullable Object value = defaults == null ? null : c.getAccessor().invoke(defaults);
        boolean nullable = c.getAnnotatedType().isAnnotationPresent(Nullable.class);
        boolean required = REQUIRED.matcher(description).find()
            || (defaults != null && value == null && !nullable && !c.getType().isPrimitive());
        String shown = c.getType().isPrimitive() || isObject(c.getType()) ? null : format(value);
        out.add(field(c.getName(), c.getGenericType(), shown, required, description, seen));
      }
      return out;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the record " + type.getName() + ": " + e, e);
    } finally {
      seen.remove(type);
    }
  }

  private static SchemaField field(String name, Type type, @Nullable String defaultValue, boolean required,
      String description, Set<Class<?>> seen) {
    Class<?> raw = raw(type);
    if ((List.class.isAssignableFrom(raw) || Set.class.isAssignableFrom(raw)) && type instanceof ParameterizedType p) {
      SchemaField element = field(name, p.getActualTypeArguments()[0], null, false, "", seen);
      return new SchemaField(name, "list of " + element.type(), defaultValue, required, description, element.values(), element.fields());
    }
    if (Map.class.isAssignableFrom(raw) && type instanceof ParameterizedType p) {
      SchemaField value = field(name, p.getActualTypeArguments()[1], null, false, "", seen);
      return new SchemaField(name, "map of " + value.type(), defaultValue, required, description, value.values(), value.fields());
    }
    if (raw.isEnum()) return new SchemaField(name, "enum", defaultValue, required, description, enumValues(raw), List.of());
    if (isObject(raw)) return new SchemaField(name, "object", defaultValue, required, description, List.of(), fields(raw, seen));
    return new SchemaField(name, scalar(raw), defaultValue, required, description, List.of(), List.of());
  }

  private static String scalar(Class<?> raw) {
    if (raw == String.class) return "string";
    if (raw == Duration.class) return "duration";
    if (raw == ByteSize.class) return "size";
    if (raw == Boolean.class || raw == boolean.class) return "boolean";
    if (raw == Integer.class || raw == int.class || raw == Long.class || raw == long.class) return "integer";
    if (Number.class.isAssignableFrom(raw) || raw == double.class || raw == float.class) return "number";
    // JsonNode and the like: any value (a filter's config, checked against its kind's own schema).
    return "any";
  }

  /** A record of the configuration's own, written as a YAML mapping (a size is a record but a scalar). */
  private static boolean isObject(Class<?> raw) {
    return raw.isRecord() && raw != ByteSize.class;
  }

  private static Class<?> raw(Type t) {
    if (t instanceof Class<?> c) return c;
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) return c;
    return Object.class;
  }

  /** The record with every component left out, as a file that sets none; null when it refuses that. */
  private static @Nullable Object defaults(Class<?> type) {
    RecordComponent[] cs = type.getRecordComponents();
    Class<?>[] types = new Class<?>[cs.length];
    @Nullable Object[] args = new Object[cs.length];
    for (int i = 0; i < cs.length; i++) {
      types[i] = cs[i].getType();
      args[i] = zero(types[i]);
    }
    try {
      Constructor<?> canonical = type.getDeclaredConstructor(types);
      canonical.setAccessible(true);
      return canonical.newInstance(args);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // The constructor insists on a component (a name, an address): no defaults to read.
      return null;
    }
  }

  private static @Nullable Object zero(Class<?> t) {
    if (!t.isPrimitive()) return null;
    if (t == boolean.class) return false;
    if (t == long.class) return 0L;
    if (t == double.class) return 0d;
    if (t == float.class) return 0f;
    if (t == char.class) return (char) 0;
    if (t == byte.class) return (byte) 0;
    if (t == short.class) return (short) 0;
    return 0;
  }

  /** A value as YAML would spell it ({@code 10s}, {@code 64KiB}, {@code round-robin}, {@code [200, 204]}). */
  static @Nullable String format(@Nullable Object value) {
    return switch (value) {
      case null -> null;
      case Duration d -> Durations.format(d);
      case Enum<?> e -> configName(e);
      case Collection<?> c -> c.stream().map(v -> String.valueOf(format(v))).collect(Collectors.joining(", ", "[", "]"));
      case Map<?, ?> m -> m.entrySet().stream().map(e -> e.getKey() + ": " + format(e.getValue())).collect(Collectors.joining(", ", "{", "}"));
      default -> value.toString();
    };
  }

  private static List<String> enumValues(Class<?> type) {
    List<String> out = new ArrayList<>();
    for (Object constant : type.getEnumConstants()) out.add(configName((Enum<?>) constant));
    return out;
  }

  /** The name an enum constant is written with: its {@code @JsonValue} method's, else its own. */
  private static String configName(Enum<?> e) {
    for (Method m : e.getDeclaringClass().getMethods()) {
      if (m.isAnnotationPresent(JsonValue.class) && m.getParameterCount() == 0) {
        try {
          return String.valueOf(m.invoke(e));
        } catch (ReflectiveOperationException ex) {
          break;
        }
      }
    }
    return e.name();
  }
}
