package io.sluice.server;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectMeta;
import io.sluice.api.ObjectRef;
import io.sluice.api.plugin.PluginSpec;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plugin directory ({@code --plugin-dir}) as a source of Plugin objects: each regular
 * {@code NAME.jar} in it (not in subdirectories) is applied to the store as the Plugin {@code NAME}
 * with the jar's SHA-256, at start and after every change while it is watched (debounced by
 * {@link ConfigDirectoryWatcher}). The directory is the operator's trust boundary: whoever may write
 * into it runs code in the gateway, so the hash is taken from the file, not from a configuration.
 *
 * <p>The jar is first copied into {@code <data-dir>/plugins/<sha256>.jar} (written to a temporary
 * file, hashed as it is copied, then renamed), and the Plugin names the copy: what was hashed is what
 * is loaded, a jar rewritten in place in the directory is never loaded half-written, and a Plugin
 * whose jar was removed from the directory still loads while routes use it.
 *
 * <p>Plugins made here carry the annotation {@code sluice.io/managed-by: plugin-dir}; the
 * directory owns exactly those. A jar removed from the directory deletes its Plugin, which the
 * store refuses while a route uses one of its filter kinds (logged, naming the routes); a refused
 * change is tried again every {@link #RETRY}, and on the next change of the directory. Threading: {@link #sync} is called by the watcher's thread
 * (and once at start), one call at a time.
 */
final class PluginDirectorySource implements AutoCloseable {
  static final String MANAGED_BY = "sluice.io/managed-by";
  static final String OWNER = "plugin-dir";
  private static final Logger log = LoggerFactory.getLogger(PluginDirectorySource.class);
  /** The largest jar a Plugin may name (the data plane's own limit, checked again when the jar is loaded). */
  private static final long MAX_SIZE = 64L << 20;
  /** How soon a refused change is tried again (a route may have stopped using the Plugin meanwhile). */
  static final java.time.Duration RETRY = java.time.Duration.ofSeconds(2);
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

  private final Path dir;
  private final Path copies;
  private final ConfigStore store;
  private @Nullable ConfigDirectoryWatcher watcher;

  /**
   * @param dir the plugin directory
   * @param copies where the loaded copies are kept ({@code <data-dir>/plugins}); created when missing
   */
  PluginDirectorySource(Path dir, Path copies, ConfigStore store) {
    this.dir = dir.toAbsolutePath().normalize();
    this.copies = copies.toAbsolutePath().normalize();
    this.store = store;
  }

  /** Applies the directory once, then after every change. */
  void start() throws IOException {
    ConfigDirectoryWatcher w = new ConfigDirectoryWatcher(dir, () -> sync() ? null : RETRY);
    watcher = w;
    w.start(sync() ? null : RETRY);
  }

  /**
   * Makes the store's Plugins of the directory those of its jars now; every refusal is logged.
   *
   * @return true when the store holds exactly the directory's Plugins afterwards
   */
  boolean sync() {
    Map<String, ConfigObject<PluginSpec>> wanted;
    try {
      wanted = read();
    } catch (IOException e) {
      log.error("cannot read --plugin-dir {}: {}; its Plugins stay as they are", dir, e.toString());
      return false;
    }
    ChangeSet.Builder b = ChangeSet.builder().author(OWNER).message("--plugin-dir " + dir);
    int changes = 0;
    Map<String, ConfigObject<?>> owned = new TreeMap<>();
    for (ConfigObject<?> o : store.snapshot().objects()) {
      if (o.kind() == Kind.PLUGIN && OWNER.equals(o.metadata().annotations().get(MANAGED_BY))) owned.put(o.name(), o);
    }
    for (ConfigObject<PluginSpec> p : wanted.values()) {
      ConfigObject<?> now = owned.get(p.name());
      if (now == null || !now.spec().equals(p.spec())) {
        b.put(p);
        changes++;
      }
    }
    for (String name : owned.keySet()) {
      if (!wanted.containsKey(name)) {
        b.delete(new ObjectRef(Kind.PLUGIN, name));
        changes++;
      }
    }
    if (changes == 0) return true;
    try {
      store.apply(b.build());
      log.info("--plugin-dir {}: applied {} change(s) to its Plugins", dir, changes);
      return true;
    } catch (StoreConflictException e) {
      log.error("--plugin-dir {} refused: {}; the Plugins stay as they are until the routes no longer use them", dir,
          String.join("; ", e.details()));
    } catch (ConfigException e) {
      log.error("--plugin-dir {} refused, {} error(s):", dir, e.errors().size());
      for (ConfigError err : e.errors()) log.error("  {}", err);
    } catch (StoreException e) {
      log.error("--plugin-dir {}: the store failed: {}", dir, e.getMessage());
    }
    return false;
  }

  /** The Plugin of each jar of the directory, by name; jars whose name is not an object name are skipped (logged). */
  private Map<String, ConfigObject<PluginSpec>> read() throws IOException {
    Map<String, ConfigObject<PluginSpec>> out = new TreeMap<>();
    try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, "*.jar")) {
      for (Path jar : jars) {
        BasicFileAttributes a = Files.readAttributes(jar, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String file = jar.getFileName().toString();
        String name = file.substring(0, file.length() - ".jar".length());
        if (!a.isRegularFile()) {
          log.warn("--plugin-dir: {} is not a regular file (links are not followed); skipped", jar);
          continue;
        }
        if (!NAME.matcher(name).matches()) {
          log.warn("--plugin-dir: {} is not named NAME.jar with NAME lower-case letters, digits, '-' and '.'; skipped", jar);
          continue;
        }
        if (a.size() > MAX_SIZE) {
          log.warn("--plugin-dir: {} has {} bytes, more than a plugin may; skipped", jar, a.size());
          continue;
        }
        Copy c = copy(jar);
        PluginSpec spec = new PluginSpec(c.path().toString(), c.sha256(), Map.of());
        out.put(name, new ConfigObject<>(io.sluice.api.ConfigObject.API_VERSION, Kind.PLUGIN,
            new ObjectMeta(name, Map.of(), Map.of(MANAGED_BY, OWNER)), spec, "plugin-dir:" + file));
      }
    }
    return out;
  }

  private record Copy(Path path, String sha256) {}

  /** {@code jar} copied under its hash into {@link #copies}, unless that copy is there already. */
  private Copy copy(Path jar) throws IOException {
    Files.createDirectories(copies);
    Path tmp = Files.createTempFile(copies, ".copy-", ".tmp");
    try {
      MessageDigest sha = sha256();
      try (InputStream in = new DigestInputStream(Files.newInputStream(jar, LinkOption.NOFOLLOW_LINKS), sha)) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      String hex = HexFormat.of().formatHex(sha.digest());
      Path target = copies.resolve(hex + ".jar");
      if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
      return new Copy(target, hex);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  @Override
  public void close() {
    ConfigDirectoryWatcher w = watcher;
    if (w != null) w.close();
  }

  @Override
  public String toString() {
    return "PluginDirectorySource[" + Objects.toString(dir) + "]";
  }
}
