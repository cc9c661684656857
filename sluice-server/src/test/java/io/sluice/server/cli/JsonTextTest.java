package io.sluice.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class JsonTextTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void readsTheTreeObjectMapperReads() throws Exception {
    String text = """
        {"items": [{"kind": "Route", "metadata": {"name": "r\\u00e9", "labels": {}, "revision": 7}},
                   {"big": 12345678901234567890123, "long": 9007199254740993, "int": -3, "double": 1.5e3,
                    "t": true, "f": false, "n": null, "nested": [[], [1, [2]], {}]}],
         "dup": 1, "dup": "last", "tail": ""}
        """;
    JsonNode read = JsonText.read(text);

    assertThat(read).isEqualTo(MAPPER.readTree(text));
    assertThat(read.path("dup").asText()).isEqualTo("last");
    assertThat(read.path("items").get(1).path("long").isLong()).isTrue();
    assertThat(read.path("items").get(1).path("big").isBigInteger()).isTrue();
    assertThat(read.path("items").get(1).path("double").isDouble()).isTrue();
    assertThat(JsonText.read("[]")).isEqualTo(MAPPER.readTree("[]"));
    assertThat(JsonText.read("\"plain\"").asText()).isEqualTo("plain");
  }

  @Test
  void refusesTextThatIsNotJson() {
    for (String text : new String[] {"", "  ", "{", "[1, 2", "{\"a\": }", "<html>nope</html>", "{\"a\" 1}"}) {
      assertThatThrownBy(() -> JsonText.read(text)).as(text).isInstanceOf(JsonProcessingException.class);
    }
  }

  @Test
  void prettyPrintsAsTheMapperDoes() throws Exception {
    JsonNode node = MAPPER.readTree("{\"a\": [1, {\"b\": null}]}");

    assertThat(JsonText.pretty(node)).isEqualTo(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node));
  }
}
