package io.sluice.server;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectMeta;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.validate.PathPolicy;
import io.sluice.api.validate.Validator;
import io.sluice.store.Applied;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.Snapshot;
import io.sluice.store.StoreConflictException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A config directory (GitOps) as a source of objects for the store: its files are applied as one
 * change set by author {@value #AUTHOR}, at start and after every change while it is watched.
 *
 * <p>Objects read from the directory are stored with the annotation
 * {@code sluice.io/managed-by: config-dir}. The directory owns exactly those objects: an object
 * whose file (or document) is removed is deleted from the store; objects created through the admin
 * API are never deleted by it. An object of the directory replaces a stored object of the same kind
 * and name, which is then managed by the directory; a managed object changed through the API is set
 * back to the file's version at the next change of the directory.
 *
 * <p>The directory is checked together with what it would be applied to (the store's other
 * objects), so a file may refer to an upstream created through the API. An invalid directory
 * changes nothing; every error is reported with its file, line, object and field.
 *
 * <p>Threading: {@link #sync()} is serialised; the watcher calls it on its own thread.
 */
final class ConfigDirectorySource implements AutoCloseable {
  static final String MANAGED_BY = "sluice.io/managed-by";
  static final String AUTHOR = "config-dir";
  private static final Logger log = LoggerFactory.getLogger(ConfigDirectorySource.class);
  /** A change made through the API between reading the store and applying is a conflict: read again. */
  private static final int ATTEMPTS = 5;

  private final Path dir;
  private final ConfigStore store;
  private final PathPolicy paths;
  private @Nullable ConfigDirectoryWatcher watcher;
  /** The file each object came from at the last sync, to name the file when its objects go. */
  private Map<ObjectRef, String> fileOf = Map.of();

  private final Runnable refused;

  ConfigDirectorySource(Path dir, ConfigStore store) {
    this(dir, store, PathPolicy.DEFAULT, () -> {});
  }

  /**
   * @param paths the directories the server allows, as the store validates with
   * @param refused called (on the watcher's thread) for each change of the directory that is refused or cannot be read
   */
  ConfigDirectorySource(Path dir, ConfigStore store, PathPolicy paths, Runnable refused) {
    this.dir = dir;
    this.store = store;
    this.paths = paths;
    this.refused = refused;
  }

  /**
   * Starts watching the directory: from now on a change is seen (call before the first
   * {@link #sync()}, so that nothing changed while it runs is lost); syncs happen once
   * {@link #start()} is called.
   */
  void watch() throws IOException {
    watcher = new ConfigDirectoryWatcher(dir, this::syncLogged);
  }

  /** Starts applying the changes the watch sees. */
  void start() {
    if (watcher == null) throw new IllegalStateException("watch() was not called");
    watcher.start();
  }

  /** What a sync did: the revision it made, or nothing (0) when the store already matched the directory. */
  record Outcome(long revision, int puts, int deletes, String message) {
    boolean changed() {
      return revision > 0;
    }
  }

  /**
   * Reads the directory and applies the difference to the store as one change set.
   *
   * @throws ConfigException with every error when the directory (with the store's other objects) is
   *     not a valid configuration; nothing is written
   * @throws StoreConflictException when the store refuses the change set (e.g. a removed upstream
   *     that an object created through the API still refers to)
   * @throws IOException when the directory cannot be read
   */
  synchronized Outcome sync() throws ConfigException, StoreConflictException, IOException {
    List<String> files = listFiles();
    List<ConfigError> errors = new ArrayList<>();
    List<ConfigObject<?>> read = new ArrayList<>();
    for (String source : files) {
      try {
        String text = Files.readString(dir.resolve(source));
        read.addAll(source.endsWith(".json") ? ObjectCodec.readJson(source, text, errors) : ObjectCodec.readYaml(source, text, errors));
      } catch (CharacterCodingException e) {
        errors.add(new ConfigError(source, "?", "", "not valid UTF-8; expected a UTF-8 text file"));
      }
    }
    Map<ObjectRef, ConfigObject<?>> desired = new LinkedHashMap<>();
    Map<ObjectRef, String> files2 = new HashMap<>();
    for (ConfigObject<?> o : read) {
      ConfigObject<?> managed = managed(o);
      // A duplicate is reported by the validation below (naming both places); keep the first.
      desired.putIfAbsent(ObjectRef.of(o), managed);
      files2.putIfAbsent(ObjectRef.of(o), fileOf(o.source()));
    }
    for (int attempt = 1; ; attempt++) {
      Snapshot s = store.snapshot();
      Map<ObjectRef, ConfigObject<?>> stored = new LinkedHashMap<>();
      for (ConfigObject<?> o : s.objects()) stored.put(ObjectRef.of(o), o);
      // The configuration this sync would make: the store's objects the directory does not own, plus the directory.
      List<ConfigObject<?>> result = new ArrayList<>();
      for (ConfigObject<?> o : stored.values()) {
        if (!isManaged(o) && !desired.containsKey(ObjectRef.of(o))) result.add(o);
      }
      result.addAll(read.stream().map(ConfigDirectorySource::managed).toList());
      List<ConfigError> all = new ArrayList<>(errors);
      Set<String> unreadable = errors.stream().map(ConfigError::object).collect(Collectors.toSet());
      all.addAll(Validator.validate(result, unreadable, FilterConfigValidator.installed(), paths));
      if (!all.isEmpty()) throw new ConfigException(all);

      ChangeSet.Builder b = ChangeSet.builder().author(AUTHOR).baseRevision(s.revision());
      Set<String> changed = new TreeSet<>();
      Set<String> removed = new TreeSet<>();
      Set<String> gone = new TreeSet<>();
      int puts = 0;
      int deletes = 0;
      for (Map.Entry<ObjectRef, ConfigObject<?>> d : desired.entrySet()) {
        ConfigObject<?> now = stored.get(d.getKey());
        if (now == null || !sameContent(now, d.getValue())) {
          b.put(d.getValue());
          changed.add(files2.get(d.getKey()));
          puts++;
        }
      }
      for (ConfigObject<?> o : stored.values()) {
        ObjectRef ref = ObjectRef.of(o);
        if (isManaged(o) && !desired.containsKey(ref)) {
          b.delete(ref);
          deletes++;
          String file = fileOf.get(ref);
          if (file == null) {
            gone.add(ref.toString());
          } else if (files.contains(file)) {
            changed.add(file);
          } else {
            removed.add(file);
          }
        }
      }
      if (puts + deletes == 0) {
        fileOf = files2;
        return new Outcome(0, 0, 0, "");
      }
      List<String> parts = new ArrayList<>();
      if (!changed.isEmpty()) parts.add("changed " + String.join(", ", changed));
      if (!removed.isEmpty()) parts.add("removed " + String.join(", ", removed));
      if (!gone.isEmpty()) parts.add("deleted " + String.join(", ", gone) + " (no longer in the directory)");
      String message = "config-dir: " + String.join("; ", parts);
      try {
        Applied applied = store.apply(b.message(message).build());
        fileOf = files2;
        return new Outcome(applied.revision(), puts, deletes, message);
      } catch (StoreConflictException e) {
        if (e.reason() != StoreConflictException.Reason.REVISION_MISMATCH || attempt == ATTEMPTS) throw e;
        log.debug("the store changed while {} was applied; reading it again: {}", dir, e.getMessage());
      }
    }
  }

  /** {@link #sync()} for the watcher: logs the outcome; an invalid directory changes nothing and says why. */
  private void syncLogged() {
    try {
      Outcome o = sync();
      if (o.changed()) {
        log.info("{}: revision {} ({} put, {} deleted)", o.message(), o.revision(), o.puts(), o.deletes());
      }
    } catch (ConfigException e) {
      refused.run();
      log.error("config change in {} refused, the previous config keeps serving; {} error(s):", dir, e.errors().size());
      for (ConfigError err : e.errors()) log.error("  {}", err);
    } catch (StoreConflictException e) {
      refused.run();
      log.error("config change in {} refused by the store ({}), the previous config keeps serving: {}", dir,
          e.reason().name().toLowerCase(java.util.Locale.ROOT), e.getMessage());
    } catch (IOException | UncheckedIOException e) {
      refused.run();
      log.error("config change in {} not applied: cannot read it: {}", dir, e.getMessage());
    }
  }

  /** The YAML/JSON files under the directory, as {@link io.sluice.api.ConfigLoader} reads them: relative, sorted, no hidden ones. */
  private List<String> listFiles() throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !isHidden(dir.relativize(p)))
          .filter(Files::isRegularFile)
          .filter(p -> {
            String n = p.getFileName().toString();
            return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
          })
          .sorted()
          .map(p -> dir.relativize(p).toString().replace(File.separatorChar, '/'))
          .toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static boolean isHidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) return true;
    }
    return false;
  }

  /** {@code routes.yaml} of the source {@code routes.yaml:12}. */
  private static String fileOf(String source) {
    int colon = source.lastIndexOf(':');
    return colon < 0 ? source : source.substring(0, colon);
  }

  static boolean isManaged(ConfigObject<?> o) {
    return AUTHOR.equals(o.metadata().annotations().get(MANAGED_BY));
  }

  private static <S extends Spec> ConfigObject<S> managed(ConfigObject<S> o) {
    Map<String, String> annotations = new HashMap<>(o.metadata().annotations());
    annotations.put(MANAGED_BY, AUTHOR);
    ObjectMeta m = o.metadata();
    // The revision a file may carry is not a precondition here: the directory is the source of truth.
    return new ConfigObject<>(o.apiVersion(), o.kind(), new ObjectMeta(m.name(), m.labels(), annotations, 0), o.spec(), o.source());
  }

  private static boolean sameContent(ConfigObject<?> a, ConfigObject<?> b) {
    return a.apiVersion().equals(b.apiVersion()) && a.spec().equals(b.spec())
        && a.metadata().labels().equals(b.metadata().labels())
        && a.metadata().annotations().equals(b.metadata().annotations());
  }

  @Override
  public void close() {
    if (watcher != null) watcher.close();
  }
}
