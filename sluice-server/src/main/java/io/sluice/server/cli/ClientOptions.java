package io.sluice.server.cli;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** Where the admin API is and how to authenticate: the options every client command has. */
final class ClientOptions {
  @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:SLUICE_SERVER:-http://127.0.0.1:9900}",
      description = "the admin API (env SLUICE_SERVER; default: ${DEFAULT-VALUE})")
  String server;

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:SLUICE_TOKEN}",
      description = "bearer token for the admin API (env SLUICE_TOKEN)")
  @Nullable String token;
}
