package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Console;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The guard in front of changes that are hard to take back: one that deletes a Listener (its port
 * stops answering) or more than {@link #MANY} objects goes ahead only with {@code --yes} or after
 * the operator answers {@code y} on a terminal. Without a terminal (a script, CI) it is refused
 * with exit code 1, naming what would be deleted.
 *
 * <p>Not thread-safe; one per command run.
 */
final class Confirmation {
  /** More deletions than this in one change need a confirmation. */
  static final int MANY = 5;

  private Confirmation() {}

  /** {@code Kind/name} of every object the change set answer {@code result} deletes, in its order. */
  static List<String> deletions(JsonNode result) {
    List<String> out = new ArrayList<>();
    for (JsonNode c : result.path("changes")) {
      if (c.path("op").asText().equals("deleted")) out.add(c.path("kind").asText() + "/" + c.path("name").asText());
    }
    return out;
  }

  /** Whether deleting {@code deleted} needs a confirmation: a Listener among them, or more than {@link #MANY}. */
  static boolean needed(List<String> deleted) {
    return deleted.size() > MANY || deleted.stream().anyMatch(d -> d.startsWith("Listener/"));
  }

  /**
   * Returns when {@code what} may go ahead: nothing dangerous is deleted, {@code yes} was given, or
   * the operator answered {@code y} on the terminal.
   *
   * @param what the change, as the subject of a sentence ({@code "rollback to revision 0"})
   * @param preview how to see the change first ({@code "--dry-run shows the changes first"}), or null
   * @throws CliException (exit 1) when it was refused or not confirmed; nothing has been changed
   */
  static void require(String what, List<String> deleted, boolean yes, @Nullable String preview) {
    if (yes || !needed(deleted)) return;
    String summary = what + " deletes " + describe(deleted);
    Console console = terminal();
    if (console != null) {
      console.printf("%s.%nProceed? [y/N] ", summary);
      String answer = console.readLine();
      if (answer != null && List.of("y", "yes").contains(answer.strip().toLowerCase(Locale.ROOT))) return;
      throw new CliException("cancelled: nothing was changed");
    }
    throw new CliException(1, List.of("error: " + summary + "; pass --yes to do it" + (preview == null ? "" : " (" + preview + ")")
        + "; nothing was changed"));
  }

  private static String describe(List<String> deleted) {
    long listeners = deleted.stream().filter(d -> d.startsWith("Listener/")).count();
    return deleted.size() + " object(s)" + (listeners > 0 ? " (" + listeners + " listener(s): their ports stop answering)" : "")
        + ": " + String.join(", ", deleted);
  }

  /**
   * The console when stdin and stdout are a terminal, else null. From Java 22 on {@link System#console()}
   * answers even when they are redirected, and only {@code Console.isTerminal()} (not in Java 21,
   * which this code is compiled for) tells; on Java 21 a console is a terminal.
   */
  private static @Nullable Console terminal() {
    Console c = System.console();
    if (c == null) return null;
    try {
      return Boolean.TRUE.equals(Console.class.getMethod("isTerminal").invoke(c)) ? c : null;
    } catch (ReflectiveOperationException e) {
      return c;
    }
  }
}
