package io.sluice.filters.testing;

import io.sluice.api.ConfigError;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.validate.Validator;
import java.util.List;

/** Validating configs the way the gateway does, for the tests of config errors. */
public final class Configs {
  private Configs() {}

  /**
   * The errors of a Route {@code r} (a direct response) with {@code filters} (a YAML list, unindented),
   * as {@code Kind/name: field: message} strings, plus {@code extra} documents.
   */
  public static List<String> routeErrors(String filters, String... extra) throws Exception {
    StringBuilder yaml = new StringBuilder("""
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          directResponse: {status: 200}
          filters:
        """).append(filters.indent(4));
    for (String e : extra) yaml.append("---\n").append(e);
    List<ConfigError> errors = Validator.validate(ObjectCodec.readYaml("r.yaml", yaml.toString()));
    return errors.stream().map(e -> e.object() + ": " + e.field() + ": " + e.message()).toList();
  }
}
