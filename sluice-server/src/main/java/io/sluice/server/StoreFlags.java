package io.sluice.server;

import io.sluice.store.etcd.EtcdConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * {@code serve}'s options for where the configuration lives: the embedded SQLite store (the
 * default) or etcd, shared by every gateway of a cluster.
 */
final class StoreFlags {
  static final String SQLITE = "sqlite";
  private static final String EXPECTED = "expected sqlite or etcd://host:port[,host:port...]/prefix";

  @Option(names = "--store", paramLabel = "sqlite|etcd://HOST:PORT[,HOST:PORT...]/PREFIX", defaultValue = SQLITE,
      description = "where the configuration lives: sqlite, the embedded store in --data-dir (default), or etcd, shared by"
          + " every gateway started with the same members and prefix (such as etcd://10.0.0.1:2379,10.0.0.2:2379/sluice/prod)")
  String store = SQLITE;

  @Option(names = "--store-user", paramLabel = "USER", description = "etcd user (etcd's authentication); needs --store-password-file")
  @Nullable String user;

  @Option(names = "--store-password-file", paramLabel = "FILE",
      description = "file holding the --store-user's password (its first line), readable by this user only")
  @Nullable Path passwordFile;

  @Option(names = "--store-ca", paramLabel = "FILE", description = "PEM file of the CA of the etcd members' certificates: TLS to etcd")
  @Nullable Path ca;

  @Option(names = "--store-connect-timeout", paramLabel = "DURATION", converter = ConfigDirectoryOptions.DurationConverter.class,
      defaultValue = "5s", description = "with etcd: how long start-up waits for the store before it serves the configuration last"
          + " applied (<data-dir>/last-applied.json) and keeps trying the store in the background (default: ${DEFAULT-VALUE})")
  java.time.Duration connectTimeout = java.time.Duration.ofSeconds(5);

  /** What is wrong with the store options, for a usage error. */
  static final class Invalid extends Exception {
    /** True for a usage error (exit 2), false for a file that cannot be used (exit 1). */
    final boolean usage;

    Invalid(String message) {
      this(message, true);
    }

    Invalid(String message, boolean usage) {
      super(message);
      this.usage = usage;
    }
  }

  /**
   * The etcd store the options name, or null for the embedded store.
   *
   * @throws Invalid naming the option, the value and what was expected
   */
  @Nullable EtcdConnection etcd() throws Invalid {
    if (connectTimeout.isZero()) throw new Invalid("--store-connect-timeout must be positive, got 0s");
    if (store.equals(SQLITE)) {
      if (user != null || passwordFile != null || ca != null) {
        throw new Invalid("--store-user, --store-password-file and --store-ca are for --store etcd://...; the store is sqlite");
      }
      if (!connectTimeout.equals(java.time.Duration.ofSeconds(5))) {
        throw new Invalid("--store-connect-timeout is for --store etcd://...; the store is sqlite");
      }
      return null;
    }
    if (!store.startsWith("etcd://")) throw new Invalid("--store '" + store + "': " + EXPECTED);
    EtcdConnection c;
    try {
      c = EtcdConnection.parse(store);
    } catch (IllegalArgumentException e) {
      throw new Invalid("--store " + e.getMessage());
    }
    if ((user == null) != (passwordFile == null)) {
      throw new Invalid(user == null ? "--store-password-file needs --store-user" : "--store-user needs --store-password-file");
    }
    if (user != null && passwordFile != null) c = c.withCredentials(user, password(passwordFile));
    Path caFile = ca;
    if (caFile != null) {
      if (!Files.isReadable(caFile)) throw new Invalid("--store-ca " + caFile + ": expected a readable PEM file", false);
      c = c.withCa(caFile);
    }
    return c;
  }

  /** The first line of the password file, which must be this user's alone: it is a credential. */
  private static String password(Path file) throws Invalid {
    try {
      if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
        var perms = Files.getPosixFilePermissions(file);
        if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"))) {
          throw new Invalid("--store-password-file " + file + " can be read by other users (" + java.nio.file.attribute
              .PosixFilePermissions.toString(perms) + "); expected it readable by this user only (chmod 600)", false);
        }
      }
      String first = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("");
      if (first.isEmpty()) throw new Invalid("--store-password-file " + file + " is empty; expected the password on its first line", false);
      return first;
    } catch (IOException e) {
      throw new Invalid("--store-password-file " + file + ": cannot read it: " + e.getMessage(), false);
    }
  }
}
