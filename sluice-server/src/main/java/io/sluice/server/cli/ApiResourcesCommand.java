package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice api-resources} (also {@code kinds}): every kind the server knows, read from the
 * OpenAPI document it serves, so a client older than the server still lists the server's kinds.
 */
@Command(name = "api-resources", aliases = "kinds", description = {
    "List every kind of object the server knows (from its OpenAPI document): the name commands take",
    "(singular or plural), the kind as written in files, and the API path."})
public final class ApiResourcesCommand extends ClientCommand {
  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json or yaml, for scripts")
  Printed.@Nullable Format output;

  @Override
  int run(AdminClient client) {
    JsonNode doc = client.get("/api/v1/openapi.json");
    JsonNode kinds = doc.at("/components/schemas/Object/properties/kind/enum");
    String apiVersion = doc.at("/components/schemas/Object/properties/apiVersion/const").asText("");
    if (!kinds.isArray() || kinds.isEmpty()) {
      throw new CliException("error: the server's OpenAPI document lists no kinds (components.schemas.Object.properties.kind.enum);"
          + " is it a Sluice admin API?");
    }
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    Table t = new Table("NAME", "SINGULAR", "KIND", "APIVERSION", "PATH");
    // Sorted by name, as kubectl lists them.
    java.util.List<String> names = new java.util.ArrayList<>();
    kinds.forEach(k -> names.add(k.asText()));
    names.sort(String.CASE_INSENSITIVE_ORDER);
    for (String kind : names) {
      String singular = kind.toLowerCase(Locale.ROOT);
      String plural = singular + "s";
      t.row(plural, singular, kind, apiVersion, "/api/v1/" + plural);
      out.addObject().put("name", plural).put("singular", singular).put("kind", kind).put("apiVersion", apiVersion)
          .put("path", "/api/v1/" + plural);
    }
    if (output != null) {
      Printed.print(out, output);
    } else {
      t.print();
    }
    return 0;
  }
}
