package io.sluice.server.cli;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The part of the completion scripts that completes the names of existing objects:
 * {@code sluice get route <TAB>}, {@code describe}, {@code delete}, {@code history} and
 * {@code rollback} ask the server through {@code sluice __complete KIND PREFIX}
 * ({@link CompleteNamesCommand}), passing on the {@code --server} and {@code --token} typed on the
 * line (else the command reads {@code SLUICE_SERVER} and {@code SLUICE_TOKEN}). The hook finds the
 * command, the kind and the position of the word being completed by reading the line up to the
 * cursor, skipping options and the values of those that take one (the list is generated from the
 * command model, so a new option does not shift positions).
 */
final class ObjectNameCompletion {
  private ObjectNameCompletion() {}

  /**
   * A bash function run after picocli's {@code _complete_sluice}, registered in its place; zsh runs
   * it through {@code bashcompinit}. In bash it reads {@code COMP_LINE} rather than
   * {@code COMP_WORDS}: bash splits words at {@code :} and {@code =}, which would cut
   * {@code --server http://host:port}; zsh's {@code COMP_WORDS} are its own words, whole.
   */
  static String bash(CommandLine root) {
    return """

        # Object names (sluice get route <TAB>): the server's, through `sluice __complete KIND PREFIX`, with the
        # --server and --token typed on the line; nothing when the server does not answer within a moment.
        function _sluice_object_names() {
          _complete_sluice "$@"
          local line=${COMP_LINE:0:COMP_POINT} cur="" cmd="" kind="" word
          local -i i pos=0
          local -a words conn=()
          if [[ -n ${ZSH_VERSION:-} ]]; then
            # zsh's bashcompinit fills COMP_WORDS from zsh's own words, which keep host:port whole.
            words=("${COMP_WORDS[@]:0:COMP_CWORD}")
            cur=${COMP_WORDS[COMP_CWORD]}
          else
            read -ra words <<< "$line"
            if [[ -n $line && $line != *[[:space:]] && ${#words[@]} -gt 1 ]]; then
              cur=${words[${#words[@]}-1]}
              unset 'words[${#words[@]}-1]'
            fi
          fi
          for (( i = 1; i < ${#words[@]}; i++ )); do
            word=${words[i]}
            case $word in
              --server|--token)
                (( i + 1 < ${#words[@]} )) || return 0
                conn+=("$word" "${words[i+1]}"); i=i+1; continue ;;
              --server=*|--token=*) conn+=("$word"); continue ;;
              %s)
                (( i + 1 < ${#words[@]} )) || return 0
                i=i+1; continue ;;
              -*) continue ;;
            esac
            if [[ -z $cmd ]]; then
              cmd=$word
            else
              if (( pos == 0 )); then kind=$word; fi
              pos=pos+1
            fi
          done
          [[ $cur == -* ]] && return 0
          case $cmd in
            get|delete) (( pos >= 1 )) || return 0 ;;
            describe|history) (( pos == 1 )) || return 0 ;;
            rollback)
              if (( pos == 0 )); then
                local IFS=$'\\n'
                COMPREPLY=( $(compgen -W "%s" -- "$cur") )
                return 0
              fi
              (( pos == 1 )) || return 0 ;;
            *) return 0 ;;
          esac
          local IFS=$'\\n'
          COMPREPLY=( $("${words[0]}" __complete "${conn[@]}" -- "$kind" "$cur" 2>/dev/null) )
        }
        complete -F _sluice_object_names -o default sluice sluice.sh sluice.bash
        """.formatted(String.join("|", optionsWithValues(root)), String.join("\n", kinds()));
  }

  /** The same for fish: a function whose output is the candidates, for the commands that take names. */
  static String fish(CommandLine root) {
    return """

        # Object names (sluice get route <TAB>): the server's, through `sluice __complete KIND PREFIX`.
        function __sluice_object_names
            set -l words (commandline -opc)
            set -l cur (commandline -ct)
            set -l cmd ''
            set -l kind ''
            set -l pos 0
            set -l conn
            set -l i 2
            while test $i -le (count $words)
                set -l word $words[$i]
                switch $word
                    case --server --token
                        set i (math $i + 1)
                        test $i -le (count $words); or return
                        set -a conn $word $words[$i]
                    case '--server=*' '--token=*'
                        set -a conn $word
                    case %s
                        set i (math $i + 1)
                        test $i -le (count $words); or return
                    case '-*'
                    case '*'
                        if test -z "$cmd"
                            set cmd $word
                        else
                            test $pos -eq 0; and set kind $word
                            set pos (math $pos + 1)
                        end
                end
                set i (math $i + 1)
            end
            string match -q -- '-*' "$cur"; and return
            switch $cmd
                case get delete
                    test $pos -ge 1; or return
                case describe history
                    test $pos -eq 1; or return
                case rollback
                    if test $pos -eq 0
                        printf '%%s\\n' %s
                        return
                    end
                    test $pos -eq 1; or return
                case '*'
                    return
            end
            $words[1] __complete $conn -- $kind $cur 2>/dev/null
        end
        complete -c sluice -n '__fish_seen_subcommand_from get describe delete history rollback' -f -a '(__sluice_object_names)'
        """.formatted(String.join(" ", optionsWithValues(root)), String.join(" ", kinds()));
  }

  /** Every option of the command or a subcommand that takes a value, but --server and --token (passed on). */
  static List<String> optionsWithValues(CommandLine root) {
    TreeSet<String> names = new TreeSet<>();
    List<CommandSpec> specs = new ArrayList<>();
    specs.add(root.getCommandSpec());
    root.getSubcommands().values().forEach(c -> specs.add(c.getCommandSpec()));
    for (CommandSpec spec : specs) {
      for (OptionSpec o : spec.options()) {
        if (o.arity().max() == 0) continue;
        for (String n : o.names()) {
          if (!n.equals("--server") && !n.equals("--token")) names.add(n);
        }
      }
    }
    return List.copyOf(names);
  }

  private static List<String> kinds() {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = new Kinds().iterator(); it.hasNext(); ) out.add(it.next());
    return out;
  }
}
