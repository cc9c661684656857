package io.sluice.api.validate;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigObject;
import io.sluice.api.listener.AccessLog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The checks of the files objects name, for {@link Validator}: each is allowed by the
 * {@link PathPolicy}, and no access log's file is another one's rotated file ({@code web.log.1} of
 * {@code web.log}), which that log's rotation would replace or delete. One instance per validation.
 */
final class PathChecks {
  private static final String FIELD = "spec.accessLog.file.path";

  private final List<ConfigError> errors;
  private final PathPolicy policy;
  private final List<LogFile> logs = new ArrayList<>();

  private record LogFile(ConfigObject<?> listener, Path path, int keep) {}

  PathChecks(List<ConfigError> errors, PathPolicy policy) {
    this.errors = errors;
    this.policy = policy;
  }

  /** Checks the file of {@code listener}'s access log, and notes it for {@link #rotationClashes}. */
  void accessLog(ConfigObject<?> listener, AccessLog.FileOutput file) {
    if (file.path() == null || file.path().isBlank()) return;
    String problem = policy.problem(PathPolicy.Directory.LOGS, file.path());
    if (problem != null) {
      error(listener, problem);
    } else if (file.keep() >= 0) {
      logs.add(new LogFile(listener, policy.resolve(PathPolicy.Directory.LOGS, file.path()), file.keep()));
    }
  }

  /** Reports each access log file that is a rotated file of another listener's log; the later listener is named. */
  void rotationClashes() {
    for (int i = 0; i < logs.size(); i++) {
      for (int j = 0; j < logs.size(); j++) {
        if (i == j) continue;
        LogFile a = logs.get(i);
        LogFile b = logs.get(j);
        int n = rotationNumber(b, a.path());
        if (n > 0) {
          error(a.listener(), a.path() + " is " + b.listener().ref() + "'s rotated access log " + b.path().getFileName() + "."
              + n + " (keep: " + b.keep() + "), which its rotation replaces; expected another file name");
          break;
        }
      }
    }
  }

  /** The N of {@code path} as the rotated file {@code log.path.N} (1 to keep), else 0. */
  private static int rotationNumber(LogFile log, Path path) {
    if (!Objects.equals(log.path().getParent(), path.getParent())) return 0;
    String prefix = log.path().getFileName() + ".";
    String name = path.getFileName().toString();
    if (!name.startsWith(prefix)) return 0;
    String digits = name.substring(prefix.length());
    if (digits.isEmpty() || digits.length() > 4 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) return 0;
    int n = Integer.parseInt(digits);
    // keep: 0 rotates without renaming, so only 1..keep are names it writes.
    return n >= 1 && n <= log.keep() ? n : 0;
  }

  private void error(ConfigObject<?> listener, String message) {
    errors.add(new ConfigError(listener.sourceOf(FIELD), listener.ref(), FIELD, message));
  }
}
