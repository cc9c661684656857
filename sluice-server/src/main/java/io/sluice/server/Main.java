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
  public static void main(String[] args) {
    int code = new CommandLine(new Main())
        .setExitCodeExceptionMapper(e -> 1)
        .execute(args);
    if (code != 0 || args.length == 0 || !"serve".equals(args[0])) {
      System.exit(code);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"sluice " + (v == null ? "dev" : v)};
    }
  }
}
