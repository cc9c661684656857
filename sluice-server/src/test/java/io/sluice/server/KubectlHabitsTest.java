package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an operator used to kubectl types: several names and {@code -l} on get and delete, {@code get
 * all}, {@code -o json|yaml} on every read command, {@code revisions}, {@code api-resources} and
 * completion for bash, zsh and fish. One server; each test works on objects of its own.
 */
class KubectlHabitsTest {
  private static ControlPlane cp;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    cp = ControlPlane.start();
    Path tmp = Files.createTempDirectory("sluice-habits");
    try {
      ServerProcess.Result r = cp.sluice("apply", "-f", ControlPlane.write(tmp, "base.yaml", """
          apiVersion: sluice.io/v1
          kind: Listener
          metadata: {name: main}
          spec: {address: 127.0.0.1:0}
          """ + "---\n" + route("a", "web") + "---\n" + route("b", "web") + "---\n" + route("c", "api")).toString(),
          "-m", "base");
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      port = BoundListeners.awaitPort(() -> cp.get("/api/v1/status"), "main");
    } finally {
      ServerProcess.deleteRecursively(tmp);
    }
  }

  @AfterAll
  static void stop() {
    if (cp != null) cp.close();
  }

  private static String route(String name, String team) {
    return """
        apiVersion: sluice.io/v1
        kind: Route
        metadata:
          name: %s
          labels: {team: %s}
        spec:
          match:
            path: {exact: /%s}
          directResponse: {status: 200, body: %s}
        """.formatted(name, team, name, name);
  }

  @Test
  void getTakesSeveralNamesALabelSelectorAndAll() throws Exception {
    ServerProcess.Result names = cp.sluice("get", "routes", "a", "c");
    assertThat(names.exitCode()).as(names.stderr()).isZero();
    assertThat(names.stdoutLines()).hasSize(3);
    assertThat(names.stdoutLines().get(1)).startsWith("Route   a ");
    assertThat(names.stdoutLines().get(2)).startsWith("Route   c ");

    ServerProcess.Result labelled = cp.sluice("get", "routes", "-l", "team=web", "-o", "json");
    assertThat(labelled.exitCode()).as(labelled.stderr()).isZero();
    JsonNode list = ControlPlane.JSON.readTree(labelled.stdout());
    assertThat(list.size()).isEqualTo(2);
    assertThat(list.get(0).path("metadata").path("name").asText()).isEqualTo("a");
    assertThat(list.get(1).path("metadata").path("name").asText()).isEqualTo("b");

    ServerProcess.Result notWeb = cp.sluice("get", "route", "-l", "team!=web");
    assertThat(notWeb.stdoutLines()).hasSize(2);
    assertThat(notWeb.stdoutLines().get(1)).startsWith("Route   c ");

    ServerProcess.Result all = cp.sluice("get", "all");
    assertThat(all.exitCode()).as(all.stderr()).isZero();
    assertThat(all.stdoutLines()).anyMatch(l -> l.startsWith("Listener   main "))
        .anyMatch(l -> l.startsWith("Route      a "));

    ServerProcess.Result bad = cp.sluice("get", "routes", "-l", "team=web,=x");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.stderrLines()).containsExactly("error: -l team=web,=x: '=x' is not a label requirement;"
        + " expected KEY=VALUE, KEY!=VALUE or KEY, separated by commas");
  }

  @Test
  void deleteTakesSeveralNamesOrALabelSelector(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    ServerProcess.Result made = cp.sluice("apply", "-f", ControlPlane.write(dir, "d.yaml",
        route("d1", "gone") + "---\n" + route("d2", "gone") + "---\n" + route("d3", "stays")).toString());
    assertThat(made.exitCode()).as(made.stderr()).isZero();

    ServerProcess.Result byLabel = cp.sluice("delete", "routes", "-l", "team=gone");
    assertThat(byLabel.exitCode()).as(byLabel.stderr()).isZero();
    assertThat(byLabel.stdoutLines()).hasSize(2);
    assertThat(byLabel.stdoutLines().get(0)).startsWith("Route/d1 deleted (revision ");
    assertThat(byLabel.stdoutLines().get(1)).startsWith("Route/d2 deleted (revision ");
    assertThat(cp.send("GET", "/api/v1/routes/d1", null, null).statusCode()).isEqualTo(404);

    ServerProcess.Result byName = cp.sluice("delete", "route", "d3");
    assertThat(byName.exitCode()).as(byName.stderr()).isZero();
    assertThat(cp.send("GET", "/api/v1/routes/d3", null, null).statusCode()).isEqualTo(404);
  }

  @Test
  void everyReadCommandPrintsTheApisAnswerAsJsonOrYaml() throws Exception {
    JsonNode status = ControlPlane.JSON.readTree(cp.sluice("status", "-o", "json").stdout());
    assertThat(status.path("nodeId").asText()).isEqualTo("test-node");

    ServerProcess.Result history = cp.sluice("history", "route", "a", "-o", "yaml");
    assertThat(history.exitCode()).as(history.stderr()).isZero();
    assertThat(history.stdout()).startsWith("items:\n  - revision: 1\n").contains("    message: base\n");

    JsonNode described = ControlPlane.JSON.readTree(cp.sluice("describe", "route", "a", "-o", "json").stdout());
    assertThat(described.path("object").path("metadata").path("name").asText()).isEqualTo("a");
    assertThat(described.path("referredToBy").size()).isZero();
    assertThat(described.path("history").get(0).path("revision").asLong()).isEqualTo(1);

    ServerProcess.Result test = cp.sluice("route-test", "GET", "http://127.0.0.1:" + port + "/a", "-o", "json");
    assertThat(test.exitCode()).as(test.stderr()).isZero();
    JsonNode tested = ControlPlane.JSON.readTree(test.stdout());
    assertThat(tested.path("matched").asBoolean()).isTrue();
    assertThat(tested.path("route").asText()).isEqualTo("a");

    JsonNode top = ControlPlane.JSON.readTree(cp.sluice("top", "--once", "-o", "json").stdout());
    assertThat(top.has("routes")).as(top.toString()).isTrue();
    ServerProcess.Result topNotOnce = cp.sluice("top", "-o", "json");
    assertThat(topNotOnce.exitCode()).isEqualTo(2);
    assertThat(topNotOnce.stderrLines()).containsExactly("error: -o json needs --once: it prints the statistics once");
  }

  @Test
  void revisionsListsTheRevisionLog() throws Exception {
    ServerProcess.Result r = cp.sluice("revisions", "--limit", "1");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).hasSize(2);
    assertThat(r.stdoutLines().get(0)).matches("REVISION +TIME +AUTHOR +OBJECTS +MESSAGE");
    assertThat(r.stdoutLines().get(1)).matches("1 +\\S+Z +local +Route/a,Route/b,Route/c,Listener/main +base");

    JsonNode json = ControlPlane.JSON.readTree(cp.sluice("revisions", "-o", "json").stdout());
    assertThat(json.path("items").get(0).path("message").asText()).isEqualTo("base");
  }

  @Test
  void apiResourcesAndKindsListEveryKindTheServerKnows() throws Exception {
    ServerProcess.Result r = cp.sluice("api-resources");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(
        "NAME            SINGULAR       KIND           APIVERSION     PATH",
        "consumers       consumer       Consumer       sluice.io/v1   /api/v1/consumers",
        "functions       function       Function       sluice.io/v1   /api/v1/functions",
        "globalfilters   globalfilter   GlobalFilter   sluice.io/v1   /api/v1/globalfilters",
        "listeners       listener       Listener       sluice.io/v1   /api/v1/listeners",
        "pipelines       pipeline       Pipeline       sluice.io/v1   /api/v1/pipelines",
        "plugins         plugin         Plugin         sluice.io/v1   /api/v1/plugins",
        "routes          route          Route          sluice.io/v1   /api/v1/routes",
        "secrets         secret         Secret         sluice.io/v1   /api/v1/secrets",
        "upstreams       upstream       Upstream       sluice.io/v1   /api/v1/upstreams",
        "webhooks        webhook        Webhook        sluice.io/v1   /api/v1/webhooks");
    assertThat(cp.sluice("kinds").stdout()).isEqualTo(r.stdout());
  }

  @Test
  void completionPrintsScriptsForBashZshAndFish() throws Exception {
    ServerProcess.Result bash = ServerProcess.run("completion");
    assertThat(bash.exitCode()).isZero();
    assertThat(bash.stdout()).contains("complete -F _complete_sluice", "api-resources", "revisions");

    ServerProcess.Result zsh = ServerProcess.run("completion", "zsh");
    assertThat(zsh.stdout()).startsWith("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n")
        .contains("complete -F _complete_sluice");

    ServerProcess.Result fish = ServerProcess.run("completion", "fish");
    assertThat(fish.exitCode()).isZero();
    assertThat(fish.stdoutLines()).contains(
        "complete -c sluice -n __fish_use_subcommand -a 'revisions' -d 'Show the revision log: each revision\\'s time, author, objects and message, oldest first.'",
        "complete -c sluice -n '__fish_seen_subcommand_from get' -a 'secrets plugins upstreams functions consumers pipelines routes listeners globalfilters webhooks all'");
    // The change workflow's commands complete too.
    assertThat(bash.stdout()).contains("propose", "approve", "publish", "rebase");
    assertThat(fish.stdout()).contains("complete -c sluice -n __fish_use_subcommand -a 'approve'");
  }

  @Test
  void theHelpOfEveryCommandTakingAKindListsEveryKind() throws Exception {
    for (String command : new String[] {"get", "describe", "delete", "history"}) {
      ServerProcess.Result help = ServerProcess.run(command, "--help");
      assertThat(help.stdout().replaceAll("\\s+", " ")).as(command)
          .contains("listener, route, upstream, consumer, pipeline, globalfilter, secret or webhook");
    }
  }
}
