package io.sluice.server;

import io.sluice.server.cli.ApiResourcesCommand;
import io.sluice.server.cli.ApplyCommand;
import io.sluice.server.cli.CanaryCommand;
import io.sluice.server.cli.CompleteNamesCommand;
import io.sluice.server.cli.CompletionCommand;
import io.sluice.server.cli.DeleteCommand;
import io.sluice.server.cli.DescribeCommand;
import io.sluice.server.cli.DiffCommand;
import io.sluice.server.cli.ExplainCommand;
import io.sluice.server.cli.GetCommand;
import io.sluice.server.cli.HistoryCommand;
import io.sluice.server.cli.RevisionsCommand;
import io.sluice.server.cli.RollbackCommand;
import io.sluice.server.cli.RouteTestCommand;
import io.sluice.server.cli.StatusCommand;
import io.sluice.server.cli.TopCommand;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code sluice} command: {@code serve} and {@code validate} run locally; the other commands
 * are clients of a running server's admin API. Exit codes: 0 done, 1 refused, invalid, not found
 * or unreachable, 2 usage error.
 */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    // Every command has --help (and --version) too.
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = Main.Version.class,
    description = "Sluice, a cloud-native API and traffic gateway.")
public final class Main {
  /** Exit code of a usage error: unknown option, missing argument, no command. */
  static final int USAGE = 2;

  /**
   * The commands, in the order help lists them. picocli builds a command's model by reflection when
   * it is added, ~100 ms for all of them, so a run adds only the command it runs
   * ({@link #commandLine}); help, completion and usage errors get them all.
   */
  static final List<String> COMMANDS = List.of("serve", "validate", "apply", "get", "describe", "delete", "diff",
      "history", "revisions", "rollback", "propose", "changes", "change", "approve", "reject", "rebase", "publish", "canary", "status", "route-test", "top", "api-resources", "explain", "completion",
      "__complete", "help");

  /**
   * A new instance of the command named {@code name} (or aliased: {@code kinds}), or null. A switch,
   * not a map of classes: the JVM then loads only the class of the command that runs.
   */
  static @Nullable Object command(String name) {
    return switch (name) {
      case "serve" -> new ServeCommand();
      case "validate" -> new ValidateCommand();
      case "apply" -> new ApplyCommand();
      case "get" -> new GetCommand();
      case "describe" -> new DescribeCommand();
      case "delete" -> new DeleteCommand();
      case "diff" -> new DiffCommand();
      case "history" -> new HistoryCommand();
      case "revisions" -> new RevisionsCommand();
      case "rollback" -> new RollbackCommand();
      case "propose" -> new io.sluice.server.cli.ProposeCommand();
      case "changes" -> new io.sluice.server.cli.ChangesCommand();
      case "change" -> new io.sluice.server.cli.ChangeCommand();
      case "approve" -> new io.sluice.server.cli.ApproveCommand();
      case "reject" -> new io.sluice.server.cli.RejectCommand();
      case "rebase" -> new io.sluice.server.cli.RebaseCommand();
      case "publish" -> new io.sluice.server.cli.PublishCommand();
      case "canary" -> new CanaryCommand();
      case "status" -> new StatusCommand();
      case "route-test" -> new RouteTestCommand();
      case "top" -> new TopCommand();
      case "api-resources", "kinds" -> new ApiResourcesCommand();
      case "explain" -> new ExplainCommand();
      case "completion" -> new CompletionCommand();
      case "__complete" -> new CompleteNamesCommand();
      case "help" -> new CommandLine.HelpCommand();
      default -> null;
    };
  }

  /** Commands that need every other one built: help lists them, completion describes them. */
  private static final Set<String> NEED_ALL = Set.of("help", "completion");

  // Also accepted before the command (sluice --server URL get routes); the client commands read them
  // when they were not given after the command.
  @Option(names = "--server", paramLabel = "URL",
      description = "the admin API the client commands call (env SLUICE_SERVER; default http://127.0.0.1:9900)")
  @Nullable String server;

  @Option(names = "--token", paramLabel = "TOKEN", description = "bearer token for the admin API (env SLUICE_TOKEN)")
  @Nullable String token;

  public static void main(String[] args) {
    // serve returns only once it has shut down (SIGTERM/SIGINT handled by ServeCommand), so every
    // command ends here with its own exit code.
    System.exit(run(args));
  }

  static int run(String... args) {
    return commandLine(args)
        .setCaseInsensitiveEnumValuesAllowed(true)
        // picocli consults this mapper for usage errors too; they must keep their own code.
        .setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : 1)
        // An unexpected failure is one line, never a stack trace (SLUICE_LOG_LEVEL=DEBUG does not change that).
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("sluice " + cmd.getCommandName() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
          return 1;
        })
        .execute(args);
  }

  /**
   * The root command with the subcommand {@code args} runs, or with every subcommand when it runs
   * none that is known ({@code --help}, {@code help}, {@code completion}, a typo: picocli's own
   * messages and suggestions need them all). The command is the first argument that is neither an
   * option nor the value of the root's {@code --server} or {@code --token}.
   */
  static CommandLine commandLine(String... args) {
    CommandLine root = new CommandLine(new Main());
    Object only = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--server") || a.equals("--token")) {
        i++;
      } else if (!a.startsWith("-")) {
        only = NEED_ALL.contains(a) ? null : command(a);
        break;
      } else if (!a.startsWith("--server=") && !a.startsWith("--token=")) {
        break;
      }
    }
    if (only != null) {
      root.addSubcommand(only);
    } else {
      for (String name : COMMANDS) root.addSubcommand(Objects.requireNonNull(command(name), name));
    }
    return root;
  }

  /**
   * The version the build wrote into {@code version.properties} ({@code 0.1.0}), followed by the git
   * commit it was built from when the build ran in a git checkout ({@code 0.1.0 (commit 445fc3d1a2b3)});
   * {@code dev} when the classes were not built by Maven (an IDE's own compiler).
   */
  static String version() {
    Properties p = new Properties();
    try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
      if (in == null) return "dev";
      p.load(in);
    } catch (IOException e) {
      return "dev";
    }
    String version = p.getProperty("version", "").strip();
    String commit = p.getProperty("commit", "").strip();
    if (version.isEmpty()) return "dev";
    return commit.isEmpty() ? version : version + " (commit " + commit + ")";
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"sluice " + version()};
    }
  }
}
