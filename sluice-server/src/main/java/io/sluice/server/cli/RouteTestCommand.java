package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice route-test METHOD URL [-H name:value]... [--listener L]}. */
@Command(name = "route-test", description = {
    "Ask the running gateway which route, upstream and rewrites a request would get, without sending it.",
    "The listener is the one serving the URL's host:port (0.0.0.0 serves every address; localhost is 127.0.0.1;",
    "a host name matches on the port alone), or --listener.",
    "Exit code 0: a route matches; 1: no listener serves the address, no route matches (the proxy would answer 404),",
    "or an error."})
public final class RouteTestCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "METHOD", description = "e.g. GET")
  String method;

  @Parameters(index = "1", paramLabel = "URL", description = "e.g. http://api.example.com/orders/1?x=1")
  String url;

  @Option(names = {"-H", "--header"}, paramLabel = "NAME:VALUE", description = "a request header; may be repeated")
  List<String> headers = new ArrayList<>();

  @Option(names = "--listener", paramLabel = "NAME", description = "the listener to ask (default: the one serving the URL's host and port)")
  @Nullable String listener;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json or yaml: the admin API's answer, for scripts")
  Printed.@Nullable Format output;

  @Override
  int run(AdminClient client) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("method", method);
    body.put("url", url);
    ArrayNode hs = body.putArray("headers");
    for (String h : headers) {
      int colon = h.indexOf(':');
      if (colon <= 0) throw new CliException(2, List.of("error: -H expects NAME:VALUE, got '" + h + "'"));
      hs.addArray().add(h.substring(0, colon).strip()).add(h.substring(colon + 1).strip());
    }
    if (listener != null) body.put("listener", listener);
    JsonNode r = client.post("/api/v1/route-test", body.toString());
    boolean matched = r.path("matched").asBoolean();
    if (output != null) {
      Printed.print(r, output);
      return matched ? 0 : 1;
    }
    List<String> filters = new ArrayList<>();
    r.path("filters").forEach(f -> filters.add(f.asText()));
    String reason = r.path("reason").asText("");
    System.out.println("matched:  " + (matched ? "yes" : "no" + (reason.isEmpty() ? " (the proxy answers 404 no_route)" : ": " + reason)));
    System.out.println("listener: " + (r.path("listener").isTextual() ? r.path("listener").asText() : "(none)"));
    System.out.println("route:    " + text(r.path("route")));
    System.out.println("upstream: " + (matched && r.path("upstream").isNull() ? "(direct response)" : text(r.path("upstream"))));
    System.out.println("filters:  " + (filters.isEmpty() ? "(none)" : String.join(", ", filters)));
    System.out.println("path:     " + text(r.path("path")));
    System.out.println("host:     " + text(r.path("host")));
    return matched ? 0 : 1;
  }

  private static String text(JsonNode n) {
    return n.isMissingNode() || n.isNull() ? "-" : n.asText();
  }
}
