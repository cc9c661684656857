package io.sluice.server.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sluice completion}: prints a bash (and zsh, through bashcompinit) completion script. */
@Command(name = "completion", description = {
    "Print a bash completion script for sluice.",
    "Use it with: source <(sluice completion)   (zsh: autoload -U bashcompinit && bashcompinit first)"})
public final class CompletionCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    System.out.print(AutoComplete.bash("sluice", spec.root().commandLine()));
    System.out.flush();
    return 0;
  }
}
