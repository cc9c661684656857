package io.sluice.server.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * A command that talks to the admin API. Whatever goes wrong is printed as the lines of a
 * {@link CliException} (never a stack trace), with its exit code.
 */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin
  ClientOptions clientOptions;

  @Override
  public final Integer call() {
    try {
      return run(new AdminClient(clientOptions));
    } catch (CliException e) {
      System.out.flush();
      e.lines().forEach(System.err::println);
      return e.exitCode();
    }
  }

  /** Does the command's work; returns the exit code. */
  abstract int run(AdminClient client);
}
