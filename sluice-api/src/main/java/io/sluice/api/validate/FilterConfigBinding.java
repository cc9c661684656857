package io.sluice.api.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * How a filter's {@code config} becomes the value its factory is given: the one code path of the
 * gateway's filter registry (validation and apply) and of {@code sluice-filter-testing}, so a config
 * a test binds is bound exactly as the gateway binds it. Stateless and thread-safe.
 *
 * <ol>
 *   <li>{@link #bind}: a config left out (or {@code null}) is {@code {}}; the tree binds strictly to
 *       the factory's config type ({@link ObjectCodec#bind}: unknown fields and wrong types are
 *       errors naming the field, durations as {@code 5s}, sizes as {@code 16KiB});
 *   <li>{@link #check}: the limits every config keeps ({@link Bounds}), then the factory's own
 *       checks, which are not told again about a field already out of bounds.
 * </ol>
 */
public final class FilterConfigBinding {
  private FilterConfigBinding() {}

  /**
   * Binds a config to {@code type}, reporting each problem with its path inside the config.
   *
   * @param config the config as written, or null when it was left out
   * @return the bound value, or null when there was any problem
   */
  public static <C> @Nullable C bind(@Nullable JsonNode config, Class<C> type, Problems problems) {
    JsonNode node = config == null || config.isNull() ? JsonNodeFactory.instance.objectNode() : config;
    return ObjectCodec.bind(node, type, problems::add);
  }

  /**
   * Checks a bound config: {@link Bounds} first, then {@code validate} (the factory's
   * {@code validate}), whose problems about a field already reported out of bounds are dropped.
   */
  public static <C> void check(C config, BiConsumer<C, Problems> validate, Problems problems) {
    Set<String> outOfBounds = new HashSet<>();
    Bounds.check(config, "", (field, message) -> {
      outOfBounds.add(field);
      problems.add(field, message);
    });
    validate.accept(config, (field, message) -> {
      if (!outOfBounds.contains(field)) problems.add(field, message);
    });
  }

  /**
   * Binds and checks a config for a filter about to be created.
   *
   * @param where the filter's place, e.g. {@code Route/orders spec.filters[1] (cors)}: each problem
   *     is reported as {@code <where>.config.<field>: <message>}
   * @throws IllegalArgumentException naming every problem
   */
  public static <C> C bindChecked(@Nullable JsonNode config, Class<C> type, BiConsumer<C, Problems> validate, String where) {
    List<String> problems = new ArrayList<>();
    Problems collect = (field, message) -> problems.add(where + ".config" + suffix(field) + ": " + message);
    C c = bind(config, type, collect);
    if (c != null) check(c, validate, collect);
    if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
    // bind() reports a problem whenever it returns null, so c is set here
    return Objects.requireNonNull(c);
  }

  private static String suffix(String field) {
    return field.isEmpty() ? "" : field.startsWith("[") ? field : "." + field;
  }
}
