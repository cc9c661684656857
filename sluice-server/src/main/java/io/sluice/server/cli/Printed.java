package io.sluice.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/**
 * {@code -o json|yaml} of the read commands: what the admin API answered, printed as it is (JSON
 * pretty-printed, or YAML), for scripts. The shape is the API's, documented in its OpenAPI document.
 */
final class Printed {
  /** The machine-readable formats of {@code -o}. */
  enum Format { json, yaml }

  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
      .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .build());

  private Printed() {}

  static void print(JsonNode node, Format format) {
    try {
      switch (format) {
        case json -> System.out.println(JsonText.pretty(node));
        case yaml -> System.out.print(YAML.writeValueAsString(node));
      }
    } catch (JsonProcessingException e) {
      throw new CliException("error: cannot print " + format + ": " + e.getMessage());
    }
  }
}
