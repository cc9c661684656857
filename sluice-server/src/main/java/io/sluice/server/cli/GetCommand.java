package io.sluice.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.api.route.PathMatch;
import io.sluice.api.route.RouteSpec;
import io.sluice.api.pipeline.GlobalFilterSpec;
import io.sluice.api.pipeline.PipelineSpec;
import io.sluice.api.upstream.UpstreamSpec;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice get KIND|all [NAME...] [-l key=value] [-o wide|yaml|json]}. */
@Command(name = "get", description = {
    "Show objects of a kind (or of every kind: get all), or the objects named.",
    "-o wide (default): a table with a summary per kind; -o yaml / -o json: the objects, ready for apply -f",
    "(without metadata.revision, so that applying them later overwrites; --with-revision keeps it)."})
public final class GetCommand extends ClientCommand {
  enum Output { wide, yaml, json }

  @Parameters(index = "0", paramLabel = "KIND", completionCandidates = Kinds.WithAll.class,
      description = "the kind, singular or plural: " + Kinds.LIST + "; or all; or nodes: the fleet's nodes;"
          + " or deliveries: the recent webhook deliveries (--failed: the dead letters)")
  String kindName;

  @Parameters(index = "1..*", paramLabel = "NAME", arity = "0..*", description = "the objects; default: all of the kind")
  List<String> names = List.of();

  @Option(names = {"-l", "--selector"}, paramLabel = "KEY=VALUE[,KEY=VALUE...]",
      description = "only objects with all these labels (as kubectl -l; KEY alone: the label is set; KEY!=VALUE: not that value)")
  @Nullable String selector;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "wide",
      description = "wide, yaml or json (default: ${DEFAULT-VALUE})")
  Output output;

  @Option(names = "--with-revision", description = "-o yaml/json: keep metadata.revision, so that applying the output"
      + " later is refused (409) if the object changed in between")
  boolean withRevision;

  @Option(names = "--failed", description = "get deliveries: only the webhook deliveries that failed every attempt (dead letters)")
  boolean failed;

  @Override
  int run(AdminClient client) {
    if (Nodes.named(kindName)) return nodes(client);
    if (Deliveries.named(kindName)) return Deliveries.print(client, failed, output != Output.wide);
    boolean all = kindName.strip().equalsIgnoreCase("all");
    Kind kind = all ? null : Kinds.parse(kindName);
    if (all && !names.isEmpty()) throw new CliException(2, List.of("error: get all takes no NAME; give a kind to get objects by name"));
    LabelSelector labels = selector == null ? LabelSelector.ALL : LabelSelector.parse(selector);
    List<JsonNode> items = new java.util.ArrayList<>();
    if (kind == null) {
      client.get("/api/v1/objects").path("items").forEach(items::add);
    } else if (!names.isEmpty()) {
      String base = "/api/v1/" + Kinds.segment(kind);
      for (String name : names) items.add(client.get(base + "/" + AdminClient.encode(name)));
    } else {
      client.get("/api/v1/" + Kinds.segment(kind)).path("items").forEach(items::add);
    }
    items.removeIf(item -> !labels.matches(item.path("metadata").path("labels")));
    if (output != Output.wide && !withRevision) {
      // The revision is the server's, not the operator's: an export that keeps it is refused once the object changes.
      for (JsonNode item : items) {
        if (item.path("metadata") instanceof ObjectNode m) m.remove("revision");
      }
    }
    // One object named: that object; otherwise a list, which apply -f reads as well.
    boolean single = kind != null && names.size() == 1;
    switch (output) {
      case json -> {
        JsonNode out = single && !items.isEmpty() ? items.getFirst() : new ArrayNode(JsonNodeFactory.instance, items);
        try {
          System.out.println(JsonText.pretty(out));
        } catch (JsonProcessingException e) {
          throw new CliException("error: cannot print JSON: " + e.getMessage());
        }
      }
      case yaml -> {
        boolean first = true;
        for (JsonNode item : items) {
          if (!first) System.out.println("---");
          System.out.print(ObjectCodec.toYaml(AdminClient.object(item)));
          first = false;
        }
      }
      case wide -> {
        if (items.isEmpty()) {
          System.err.println("no " + (kind == null ? "objects" : Kinds.segment(kind)) + " found"
              + (selector == null ? "" : " with labels " + selector));
          return 0;
        }
        Table t = new Table("KIND", "NAME", "REVISION", "SUMMARY");
        for (JsonNode item : items) {
          ConfigObject<?> o = AdminClient.object(item);
          t.row(o.kind().displayName(), o.name(), o.metadata().revision(), summary(o));
        }
        t.print();
      }
    }
    return 0;
  }

  /** {@code get nodes}: the fleet, not objects of the store. */
  private int nodes(AdminClient client) {
    if (!names.isEmpty() || selector != null || withRevision) {
      throw new CliException(2, List.of("error: get nodes takes no NAME, -l or --with-revision; it lists every node of the fleet"));
    }
    JsonNode nodes = client.get("/api/v1/nodes");
    switch (output) {
      case json -> Printed.print(nodes, Printed.Format.json);
      case yaml -> Printed.print(nodes, Printed.Format.yaml);
      case wide -> Nodes.print(nodes);
    }
    return 0;
  }

  /** One line per kind: where a route sends what, an upstream's endpoints, a listener's address. */
  static String summary(ConfigObject<?> o) {
    return switch (o.spec()) {
      case RouteSpec r -> {
        StringBuilder sb = new StringBuilder(r.hosts().isEmpty() ? "*" : String.join(",", r.hosts()));
        sb.append(' ').append(path(r.match().path()));
        if (!r.match().methods().isEmpty()) sb.append(' ').append(String.join(",", r.match().methods()));
        if (!r.match().headers().isEmpty()) sb.append(" +").append(r.match().headers().size()).append(" header(s)");
        if (!r.match().query().isEmpty()) sb.append(" +").append(r.match().query().size()).append(" query");
        sb.append(" -> ");
        if (r.upstream() != null) {
          sb.append(r.upstream());
        } else if (!r.upstreams().isEmpty()) {
          sb.append(r.upstreams().stream().map(w -> w.name() + ":" + w.weight()).collect(Collectors.joining(",")));
        } else if (r.directResponse() != null && Boolean.TRUE.equals(r.directResponse().echo())) {
          sb.append("echo");
        } else if (r.directResponse() != null) {
          sb.append("direct ").append(r.directResponse().status());
        }
        if (!r.canary().isEmpty()) sb.append(" +").append(r.canary().size()).append(" canary");
        if (r.pipeline() != null) sb.append(" pipeline ").append(r.pipeline());
        if (!r.filters().isEmpty()) sb.append(" +").append(r.filters().size()).append(" filter(s)");
        if (!r.listeners().isEmpty()) sb.append(" (on ").append(String.join(",", r.listeners())).append(')');
        yield sb.toString();
      }
      case UpstreamSpec u -> u.endpoints().stream()
          .map(e -> e.weight() == 1 ? e.address() : e.address() + " w" + e.weight())
          .collect(Collectors.joining(",")) + " (" + u.loadBalancer().policy().configName() + ")";
      case ListenerSpec l -> l.address() + (l.nodeSelector().isEmpty() ? "" : " (nodes " + l.nodeSelector().entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")) + ")");
      case PipelineSpec p -> p.filters().stream().map(f -> f.kind()).collect(Collectors.joining(","));
      case GlobalFilterSpec g -> "before " + g.before().size() + ", after " + g.after().size()
          + (g.listeners().isEmpty() ? "" : " (on " + String.join(",", g.listeners()) + ")");
      default -> "";
    };
  }

  private static String path(PathMatch p) {
    if (p.exact() != null) return "exact:" + p.exact();
    if (p.template() != null) return "template:" + p.template();
    if (p.regex() != null) return "regex:" + p.regex();
    return "prefix:" + p.prefix();
  }
}
