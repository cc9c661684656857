package io.sluice.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code sluice} command. Exit codes: 0 done, 1 refused or invalid, 2 usage error.
 */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Sluice, a cloud-native API and traffic gateway.",
    subcommands = {ServeCommand.class, ValidateCommand.class, CommandLine.HelpCommand.class})
public final class Main {
  /** Exit code of a usage error: unknown option, missing argument, no command. */
  static final int USAGE = 2;

  public static void main(String[] args) {
    // serve returns only once it has shut down (SIGTERM/SIGINT handled by ServeCommand), so every
    // command ends here with its own exit code.
    System.exit(run(args));
  }

  static int run(String... args) {
    return new CommandLine(new Main())
        // picocli consults this mapper for usage errors too; they must keep their own code.
        .setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : 1)
        .execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"sluice " + (v == null ? "dev" : v)};
    }
  }
}
