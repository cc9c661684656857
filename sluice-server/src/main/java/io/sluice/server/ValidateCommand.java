package io.sluice.server;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigLoader;
import io.sluice.api.ConfigSet;
import io.sluice.api.validate.LoopWarnings;
import io.sluice.api.validate.PathPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice validate DIR}: checks every object in a config directory and prints every error. */
@Command(name = "validate", description = "Validate a config directory; prints every error, exits 1 if there is any.")
final class ValidateCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "the config directory (YAML/JSON files, searched recursively)")
  Path dir;

  @Option(names = "--log-dir", paramLabel = "DIR",
      description = "the log directory the access log files must be in, as sluice serve --log-dir (default: data/logs)")
  @Nullable Path logDir;

  @Option(names = "--cert-dir", paramLabel = "DIR",
      description = "the certificate directory Secrets' files must be in, as sluice serve --cert-dir (default: data/certs)")
  @Nullable Path certDir;

  @Override
  public Integer call() {
    if (!Files.isDirectory(dir)) {
      System.err.println("sluice validate: " + dir + " is not a directory");
      return 1;
    }
    try {
      PathPolicy paths = logDir == null ? PathPolicy.DEFAULT : PathPolicy.logDirectory(logDir);
      if (certDir != null) paths = paths.with(PathPolicy.Directory.CERTS, certDir);
      ConfigSet set = ConfigLoader.loadDirectory(dir, paths);
      StringBuilder more = new StringBuilder();
      // Kinds that most configurations do not have are only counted when present.
      if (!set.consumers().isEmpty()) more.append(", ").append(count(set.consumers().size(), "consumer"));
      if (!set.pipelines().isEmpty()) more.append(", ").append(count(set.pipelines().size(), "pipeline"));
      if (!set.globalFilters().isEmpty()) more.append(", ").append(count(set.globalFilters().size(), "global filter"));
      if (!set.secrets().isEmpty()) more.append(", ").append(count(set.secrets().size(), "secret"));
      // Valid, but most likely not what was meant: said on stderr, the exit code stays 0.
      for (ConfigError w : LoopWarnings.of(set)) System.err.println("warning: " + w);
      System.out.printf("%s: valid (%s, %s, %s%s)%n", dir, count(set.listeners().size(), "listener"),
          count(set.routes().size(), "route"), count(set.upstreams().size(), "upstream"), more);
      return 0;
    } catch (ConfigException e) {
      for (ConfigError err : e.errors()) System.err.println(err);
      System.err.printf("%s: %d error(s)%n", dir, e.errors().size());
      return 1;
    } catch (IOException | UncheckedIOException e) {
      System.err.println("sluice validate: cannot read " + dir + ": " + e.getMessage());
      return 1;
    }
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
