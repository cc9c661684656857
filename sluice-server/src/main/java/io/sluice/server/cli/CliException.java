package io.sluice.server.cli;

import java.util.List;

/**
 * A client command cannot do what it was asked: the lines to print on stderr (never a stack trace)
 * and the exit code (1: refused, invalid, not found or unreachable; 2: usage).
 */
final class CliException extends RuntimeException {
  private final List<String> lines;
  private final int exitCode;

  CliException(int exitCode, List<String> lines) {
    super(String.join("\n", lines), null, false, false);
    this.lines = List.copyOf(lines);
    this.exitCode = exitCode;
  }

  CliException(String line) {
    this(1, List.of(line));
  }

  List<String> lines() {
    return lines;
  }

  int exitCode() {
    return exitCode;
  }
}
