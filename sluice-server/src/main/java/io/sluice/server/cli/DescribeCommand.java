package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.codec.ObjectCodec;
import java.util.List;
import org.jspecify.annotations.Nullable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice describe KIND NAME}: the object, what it refers to, what refers to it, its last revisions. */
@Command(name = "describe", description = "Show an object with its references, the objects that refer to it, and its last revisions.")
public final class DescribeCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KIND", converter = Kinds.class, completionCandidates = Kinds.class,
      description = "the kind, singular or plural: " + Kinds.LIST)
  Kind kind;

  @Parameters(index = "1", paramLabel = "NAME")
  String name;

  @Option(names = "--revisions", paramLabel = "N", defaultValue = "5", description = "how many revisions to show (default: ${DEFAULT-VALUE})")
  int revisions;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json or yaml: the admin API's answer, for scripts")
  Printed.@Nullable Format output;

  @Override
  int run(AdminClient client) {
    JsonNode read = client.get("/api/v1/" + Kinds.segment(kind) + "/" + AdminClient.encode(name));
    ConfigObject<?> o = AdminClient.object(read);
    List<JsonNode> history = HistoryCommand.history(client, kind, name);
    List<ConfigObject<?>> all = AdminClient.objects(client.get("/api/v1/objects"));
    ObjectRef self = ObjectRef.of(o);
    String referrers = all.stream().filter(x -> x.spec().references().contains(self)).map(ConfigObject::ref)
        .sorted().collect(Collectors.joining(", "));
    String refersTo = o.spec().references().stream().map(ObjectRef::toString).collect(Collectors.joining(", "));
    if (output != null) {
      // The object as the API answers it, what it refers to, what refers to it, and its history.
      var n = JsonNodeFactory.instance.objectNode();
      n.set("object", read);
      var to = n.putArray("refersTo");
      o.spec().references().forEach(r -> to.add(r.toString()));
      var by = n.putArray("referredToBy");
      all.stream().filter(x -> x.spec().references().contains(self)).map(ConfigObject::ref).sorted().forEach(by::add);
      n.putArray("history").addAll(history);
      Printed.print(n, output);
      return 0;
    }

    System.out.print(ObjectCodec.toYaml(o));
    System.out.println();
    System.out.println("Refers to:      " + (refersTo.isEmpty() ? "(nothing)" : refersTo));
    System.out.println("Referred to by: " + (referrers.isEmpty() ? "(nothing)" : referrers));
    int shown = Math.min(Math.max(revisions, 1), history.size());
    System.out.println("Revisions (last " + shown + " of " + history.size() + "):");
    // The change column needs the entries before the ones shown, so the table is built from all of them.
    List<String> lines = HistoryCommand.table(history).lines("  ");
    System.out.println(lines.getFirst());
    lines.subList(lines.size() - shown, lines.size()).forEach(System.out::println);
    return 0;
  }
}
