package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Kind;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice delete KIND NAME... | -l key=value}. */
@Command(name = "delete", description = {"Delete objects; each is refused while other objects refer to it (they are named).",
    "Several objects are deleted one after the other, each a revision; the first refused stops the rest.",
    "Deleting a Listener (its port stops answering) or more than 5 objects asks first on a terminal; elsewhere it needs --yes."})
public final class DeleteCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KIND", converter = Kinds.class, completionCandidates = Kinds.class,
      description = "the kind, singular or plural: " + Kinds.LIST)
  Kind kind;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "NAME", description = "the objects; or -l")
  List<String> names = List.of();

  @Option(names = {"-l", "--selector"}, paramLabel = "KEY=VALUE[,KEY=VALUE...]",
      description = "delete the objects of the kind with all these labels (as kubectl -l)")
  @Nullable String selector;

  @Option(names = "--revision", paramLabel = "REV", description = "delete only if the object is still at this revision (one NAME)")
  long revision;

  @Option(names = {"-y", "--yes"}, description = "delete a Listener, or more than 5 objects, without asking")
  boolean yes;

  @Option(names = "--force", description = "delete objects the config directory owns (it then skips them until their file changes)")
  boolean force;

  @Override
  int run(AdminClient client) {
    if (names.isEmpty() == (selector == null)) {
      throw new CliException(2, List.of("error: delete takes NAME... or -l KEY=VALUE, one of the two"));
    }
    if (revision > 0 && names.size() != 1) throw new CliException(2, List.of("error: --revision goes with one NAME"));
    List<String> targets = new ArrayList<>(names);
    if (selector != null) {
      LabelSelector labels = LabelSelector.parse(selector);
      for (JsonNode item : client.get("/api/v1/" + Kinds.segment(kind)).path("items")) {
        if (labels.matches(item.path("metadata").path("labels"))) targets.add(item.path("metadata").path("name").asText());
      }
      if (targets.isEmpty()) {
        System.err.println("no " + Kinds.segment(kind) + " with labels " + selector + "; nothing deleted");
        return 0;
      }
    }
    List<String> refs = targets.stream().map(n -> kind.displayName() + "/" + n).toList();
    Confirmation.require("this delete", refs, yes, null);
    long last = 0;
    for (String name : targets) {
      StringBuilder path = new StringBuilder("/api/v1/").append(Kinds.segment(kind)).append('/').append(AdminClient.encode(name));
      char sep = '?';
      if (revision > 0) {
        path.append(sep).append("revision=").append(revision);
        sep = '&';
      }
      if (force) path.append(sep).append("force=true");
      JsonNode r = client.send("DELETE", path.toString(), null, java.util.Map.of());
      last = r.path("revision").asLong();
      System.out.println(kind.displayName() + "/" + name + " deleted (revision " + last + ")");
    }
    NodeApplyCheck.warnUnlessApplied(client, last);
    return 0;
  }
}
