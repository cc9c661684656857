package io.sluice.server.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice completion [bash|zsh|fish]}: prints a completion script. picocli generates bash's,
 * which zsh runs through {@code bashcompinit}; fish's is generated here from the same command model
 * (commands, options, and the candidates of positional parameters such as kinds). Both end with a
 * hook ({@link ObjectNameCompletion}) that completes the names of existing objects from the server.
 */
@Command(name = "completion", description = {
    "Print a completion script for bash (default), zsh or fish: commands, options, kinds, and the names",
    "of the server's objects (get route <TAB>; --server/--token on the line, else SLUICE_SERVER/SLUICE_TOKEN).",
    "bash: source <(sluice completion)",
    "zsh:  source <(sluice completion zsh)      (it loads bashcompinit itself)",
    "fish: sluice completion fish | source      (or save it as ~/.config/fish/completions/sluice.fish)"})
public final class CompletionCommand implements Callable<Integer> {
  enum Shell { bash, zsh, fish }

  @Parameters(index = "0", arity = "0..1", paramLabel = "SHELL", defaultValue = "bash", description = "bash, zsh or fish (default: ${DEFAULT-VALUE})")
  Shell shell;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    CommandLine root = spec.root().commandLine();
    switch (shell) {
      case bash -> System.out.print(AutoComplete.bash("sluice", root) + ObjectNameCompletion.bash(root));
      case zsh -> System.out.print("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
          + AutoComplete.bash("sluice", root) + ObjectNameCompletion.bash(root));
      case fish -> System.out.print(fish(root) + ObjectNameCompletion.fish(root));
    }
    System.out.flush();
    return 0;
  }

  /** A fish script: each command, then each command's options and positional candidates. */
  static String fish(CommandLine root) {
    StringBuilder sb = new StringBuilder("# fish completion for sluice (sluice completion fish)\ncomplete -c sluice -f\n");
    for (OptionSpec o : root.getCommandSpec().options()) option(sb, "__fish_use_subcommand", o);
    for (var e : root.getSubcommands().entrySet()) {
      String name = e.getKey();
      CommandSpec c = e.getValue().getCommandSpec();
      if (c.usageMessage().hidden()) continue;
      sb.append("complete -c sluice -n __fish_use_subcommand -a ").append(quote(name))
          .append(" -d ").append(quote(first(c.usageMessage().description()))).append('\n');
      String when = "'__fish_seen_subcommand_from " + name + "'";
      for (OptionSpec o : c.options()) option(sb, when, o);
      for (PositionalParamSpec p : c.positionalParameters()) {
        if (p.completionCandidates() == null) continue;
        List<String> values = new ArrayList<>();
        p.completionCandidates().forEach(values::add);
        if (!values.isEmpty()) {
          sb.append("complete -c sluice -n ").append(when).append(" -a ").append(quote(String.join(" ", values))).append('\n');
        }
      }
      if (!c.positionalParameters().isEmpty() && c.positionalParameters().stream().allMatch(p -> p.completionCandidates() == null)) {
        // Files and directories, for commands whose arguments are paths (validate DIR).
        sb.append("complete -c sluice -n ").append(when).append(" -F\n");
      }
    }
    return sb.toString();
  }

  private static void option(StringBuilder sb, String when, OptionSpec o) {
    if (o.hidden()) return;
    sb.append("complete -c sluice -n ").append(when);
    for (String n : o.names()) {
      if (n.startsWith("--")) {
        sb.append(" -l ").append(n.substring(2));
      } else if (n.startsWith("-") && n.length() == 2) {
        sb.append(" -s ").append(n.substring(1));
      }
    }
    if (o.arity().max() > 0) {
      sb.append(" -r");
      if (o.completionCandidates() != null) {
        List<String> values = new ArrayList<>();
        o.completionCandidates().forEach(values::add);
        sb.append(" -a ").append(quote(String.join(" ", values)));
      } else if (o.paramLabel().contains("FILE") || o.paramLabel().contains("DIR")) {
        sb.append(" -F");
      }
    }
    sb.append(" -d ").append(quote(first(o.description()))).append('\n');
  }

  private static String first(String[] lines) {
    return lines.length == 0 ? "" : lines[0].replace("${DEFAULT-VALUE}", "");
  }

  private static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
