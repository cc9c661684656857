package io.sluice.server.cli;

import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the admin API. Whatever goes wrong is printed as the lines of a
 * {@link CliException} (never a stack trace), with its exit code.
 */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin
  ClientOptions clientOptions;

  @Spec
  CommandSpec spec;

  @Override
  public final Integer call() {
    try {
      // Given after the command wins; else given before it (sluice --server URL get ...); else the environment or default.
      String server = fromRoot("--server", clientOptions.server);
      if (server != null) clientOptions.server = server;
      clientOptions.token = fromRoot("--token", clientOptions.token);
      return run(new AdminClient(clientOptions));
    } catch (CliException e) {
      System.out.flush();
      e.lines().forEach(System.err::println);
      return errorExitCode(e.exitCode());
    }
  }

  /** The exit code for a failure that {@code exitCode} stands for; a command whose success codes include 1 maps it. */
  int errorExitCode(int exitCode) {
    return exitCode;
  }

  private @Nullable String fromRoot(String name, @Nullable String own) {
    if (spec.commandLine().getParseResult().hasMatchedOption(name)) return own;
    OptionSpec root = spec.root().findOption(name);
    String value = root == null ? null : root.getValue();
    return value != null ? value : own;
  }

  /** Does the command's work; returns the exit code. */
  abstract int run(AdminClient client);
}
