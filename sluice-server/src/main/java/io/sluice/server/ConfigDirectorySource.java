package io.sluice.server;

import io.sluice.api.ConfigDirOwnership;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigObject;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import io.sluice.api.codec.ObjectCodec;
import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.api.validate.PathPolicy;
import io.sluice.api.validate.Validator;
import io.sluice.store.Applied;
import io.sluice.store.Canary;
import io.sluice.store.ChangeSet;
import io.sluice.store.ConfigStore;
import io.sluice.store.HistoryEntry;
import io.sluice.store.Snapshot;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
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
 * and name created through the API, which is then managed by the directory. The admin API refuses
 * to change a managed object unless forced; a forced change (or delete) takes the object over: it
 * loses the annotation, and the directory skips it (logging so once) for as long as its file's
 * version is the one the directory last wrote. Once the file's version differs, the directory takes
 * the object back. This is read from the store's history, so it holds across restarts.
 *
 * <p>Ordinary edits must not cost routes, so a change is taken with care ({@link ConfigDirectoryOptions}):
 * <ul>
 *   <li>the directory is read through its real path (symlinks followed); a path that resolves to
 *       nothing is a directory that cannot be read, never an empty one;
 *   <li>a file's new content is taken once it has been unchanged for the settle period (not at the
 *       first sync, which takes the directory as it is);
 *   <li>a file that stops parsing keeps its last good objects until it parses again; the errors are
 *       logged once per content;
 *   <li>an object that leaves the directory (its file gone, or its document) keeps serving for the
 *       grace period and is deleted only if it has not come back by then;
 *   <li>a change that would delete every object of the directory, or more than the allowed share,
 *       is refused unless forced.
 * </ul>
 *
 * <p>The directory is checked together with what it would be applied to (the store's other
 * objects), so a file may refer to an upstream created through the API. An invalid directory
 * changes nothing; every error is reported with its file, line, object and field.
 *
 * <p>Threading: {@link #sync()} is serialised (its state is guarded by {@code this}); the watcher
 * calls it on its own thread.
 */
final class ConfigDirectorySource implements AutoCloseable {
  static final String MANAGED_BY = ConfigDirOwnership.ANNOTATION;
  static final String AUTHOR = ConfigDirOwnership.OWNER;
  private static final Logger log = LoggerFactory.getLogger(ConfigDirectorySource.class);
  /** A change made through the API between reading the store and applying is a conflict: read again. */
  private static final int ATTEMPTS = 5;
  /** How often a change that waits for a config canary checks whether it ended. */
  static final Duration CANARY_RECHECK = Duration.ofSeconds(1);

  /** What is known of one file: the content last seen, since when, and the objects last taken from it. */
  private static final class FileState {
    byte @Nullable [] content;
    long seenAt;
    List<ConfigObject<?>> parsed = List.of();
    List<ConfigError> errors = List.of();
    /** The objects last taken (its last good content), or null while none was. */
    @Nullable List<ConfigObject<?>> taken;
    /** Whether the errors of {@link #content} were reported. */
    boolean reported;
    /** When the file was found gone (System.nanoTime()), or null while it is there. */
    @Nullable Long missingSince;
  }

  private final Path dir;
  private final ConfigStore store;
  private final PathPolicy paths;
  private final ConfigDirectoryOptions options;
  private @Nullable ConfigDirectoryWatcher watcher;
  /** The file each object came from at the last sync, to name the file when its objects go. */
  private Map<ObjectRef, String> fileOf = Map.of();
  private final Map<String, FileState> files = new HashMap<>();
  /** Objects of the directory found missing, and since when (System.nanoTime()); they serve until the grace runs out. */
  private final Map<ObjectRef, Long> goneSince = new HashMap<>();
  private boolean synced;
  /** The last refusal logged, so that a refusal repeated by a timer is not logged (nor counted) again. */
  private @Nullable String lastRefusal;
  /** When the sync in progress wants to run again (nanoseconds from now), or null. */
  private @Nullable Long wakeIn;
  /** Objects the API took over that are skipped, each logged once while it is. */
  private Set<ObjectRef> takenOver = Set.of();
  /** The running config canary, or null; none by default (the embedded store has no canaries). */
  private volatile Supplier<@Nullable Canary> canary = () -> null;
  /** The canary the last change waited for ("?": it could not be read), or null; guarded by {@code this}. */
  private @Nullable String waitingFor;

  private final Runnable refused;

  ConfigDirectorySource(Path dir, ConfigStore store) {
    this(dir, store, PathPolicy.DEFAULT, ConfigDirectoryOptions.DEFAULTS, () -> {});
  }

  /**
   * @param dir the directory as configured; it may be or pass through symlinks, which are resolved at every sync
   * @param paths the directories the server allows, as the store validates with
   * @param refused called (on the watcher's thread) for each change of the directory that is refused or cannot be read
   */
  ConfigDirectorySource(Path dir, ConfigStore store, PathPolicy paths, ConfigDirectoryOptions options, Runnable refused) {
    this.dir = dir;
    this.store = store;
    this.paths = paths;
    this.options = options;
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

  /**
   * Starts applying the changes the watch sees, and what is due without one: objects that were
   * missing at the first sync are deleted when their grace runs out, even if nothing changes.
   */
  synchronized void start() {
    if (watcher == null) throw new IllegalStateException("watch() was not called");
    watcher.start(wakeIn == null ? null : Duration.ofNanos(wakeIn));
  }

  /**
   * What a sync did: the revision it made, or nothing (0) when the store already matched the
   * directory or the change waits for a config canary.
   *
   * @param waitsFor the running canary the change waits for, or null
   */
  record Outcome(long revision, int puts, int deletes, String message, @Nullable String waitsFor) {
    Outcome(long revision, int puts, int deletes, String message) {
      this(revision, puts, deletes, message, null);
    }

    boolean changed() {
      return revision > 0;
    }
  }

  /**
   * Makes a change of the directory wait while the fleet runs a config canary ({@code running}
   * answers the running one, or null): the admin API refuses every other change then (one change at a
   * time), and the directory keeps to the same rule. A change that finds a canary running is not
   * written; it is logged once per canary, naming it, and tried again every {@link #CANARY_RECHECK}
   * until the canary is promoted or aborted, then applied (read afresh from the directory: the latest
   * files win). Set before {@link #sync()} is first called; any thread.
   */
  void waitForCanaries(Supplier<@Nullable Canary> running) {
    this.canary = Objects.requireNonNull(running, "running");
  }

  /**
   * Reads the directory and applies the difference to the store as one change set.
   *
   * @throws ConfigException with every error when the directory (with the store's other objects) is
   *     not a valid configuration, or when the change would delete more of the directory's objects
   *     than allowed; nothing is written
   * @throws StoreConflictException when the store refuses the change set (e.g. a removed upstream
   *     that an object created through the API still refers to)
   * @throws IOException when the directory cannot be read (or does not resolve to a directory)
   */
  synchronized Outcome sync() throws ConfigException, StoreConflictException, IOException {
    wakeIn = null;
    long now = System.nanoTime();
    boolean first = !synced;
    Path real = dir.toRealPath();
    if (!Files.isDirectory(real)) throw new IOException(dir + " is not a directory");
    List<String> listed = listFiles(real);
    List<ConfigError> errors = new ArrayList<>();
    List<ConfigObject<?>> read = new ArrayList<>();
    Set<String> present = new HashSet<>();
    for (String source : listed) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(real.resolve(source));
      } catch (NoSuchFileException e) {
        continue; // gone since it was listed: as if it had not been
      }
      present.add(source);
      FileState f = files.computeIfAbsent(source, k -> new FileState());
      f.missingSince = null;
      if (f.content == null || !Arrays.equals(bytes, f.content)) {
        f.content = bytes;
        f.seenAt = now;
        f.reported = false;
        parse(source, bytes, f);
      }
      long settling = f.seenAt + options.settle().toNanos() - now;
      if (!first && settling > 0 && f.taken != f.parsed) {
        // Still being written, perhaps: keep what it had until it has been quiet for the settle period.
        wakeAt(settling);
        if (f.taken != null) read.addAll(f.taken);
      } else if (f.errors.isEmpty()) {
        f.taken = f.parsed;
        read.addAll(f.parsed);
      } else if (f.taken != null) {
        read.addAll(f.taken);
        if (!f.reported) {
          f.reported = true;
          refused.run();
          log.error("{} in {} does not parse; its last good objects keep serving until it does; {} error(s):", source, dir,
              f.errors.size());
          for (ConfigError err : f.errors) log.error("  {}", err);
        }
      } else {
        // Never good: nothing to keep, so the directory is refused as a whole, as any invalid one.
        errors.addAll(f.errors);
        read.addAll(f.parsed);
      }
    }
    for (var it = files.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (present.contains(e.getKey())) continue;
      FileState f = e.getValue();
      if (f.missingSince == null) f.missingSince = now;
      long left = f.missingSince + options.grace().toNanos() - now;
      // Its last good content is kept while its objects are, in case it comes back half-written.
      if (left > 0) wakeAt(left); else it.remove();
    }
    synced = true;
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
      // Objects of the directory that left it: kept while their grace lasts, deleted after.
      List<ConfigObject<?>> kept = new ArrayList<>();
      List<ObjectRef> expired = new ArrayList<>();
      Set<ObjectRef> leaving = new TreeSet<>(Comparator.comparing(ObjectRef::toString));
      int managedCount = 0;
      for (ConfigObject<?> o : stored.values()) {
        if (!isManaged(o)) continue;
        managedCount++;
        ObjectRef ref = ObjectRef.of(o);
        if (desired.containsKey(ref)) continue;
        Long since = goneSince.get(ref);
        if (since == null) {
          goneSince.put(ref, now);
          since = now;
          leaving.add(ref);
        }
        long left = since + options.grace().toNanos() - now;
        if (left > 0) {
          kept.add(o);
          wakeAt(left);
        } else {
          expired.add(ref);
        }
      }
      // Objects the API took over (a forced write): left alone until their file changes.
      Set<ObjectRef> skipped = new HashSet<>();
      for (Map.Entry<ObjectRef, ConfigObject<?>> d : desired.entrySet()) {
        ConfigObject<?> current = stored.get(d.getKey());
        if (current != null && isManaged(current)) continue;
        Long at = takenOverAt(d.getKey(), d.getValue());
        if (at == null) continue;
        skipped.add(d.getKey());
        if (!takenOver.contains(d.getKey())) {
          log.warn("{} ({}) was taken over through the admin API at revision {}; the file's version is skipped until it changes",
              d.getKey(), files2.get(d.getKey()), at);
        }
      }
      for (ObjectRef ref : takenOver) {
        if (!skipped.contains(ref) && desired.containsKey(ref)) {
          log.info("{} ({}) changed in the directory: the directory takes it back from the admin API", ref, files2.get(ref));
        }
      }
      goneSince.keySet().removeIf(ref -> desired.containsKey(ref) || !(stored.get(ref) instanceof ConfigObject<?> o && isManaged(o)));
      if (!leaving.isEmpty()) {
        log.info("{} no longer in {}; kept for {} unless back by then", leaving.stream().map(r -> {
          String file = fileOf.get(r);
          return file == null ? r.toString() : r + " (" + file + ")";
        }).collect(Collectors.joining(", ")), dir, human(options.grace()));
      }
      // The configuration this sync would make: the store's objects the directory does not own, plus the directory.
      List<ConfigObject<?>> result = new ArrayList<>();
      for (ConfigObject<?> o : stored.values()) {
        if (!isManaged(o) && (!desired.containsKey(ObjectRef.of(o)) || skipped.contains(ObjectRef.of(o)))) result.add(o);
      }
      result.addAll(kept);
      result.addAll(read.stream().filter(o -> !skipped.contains(ObjectRef.of(o))).map(ConfigDirectorySource::managed).toList());
      List<ConfigError> all = new ArrayList<>(errors);
      Set<String> unreadable = errors.stream().map(ConfigError::object).collect(Collectors.toSet());
      all.addAll(Validator.validate(result, unreadable, FilterConfigValidator.installed(), paths));
      if (!all.isEmpty()) throw new ConfigException(all);
      if (!expired.isEmpty() && !options.force()
          && (expired.size() == managedCount || expired.size() * 100L > (long) options.maxDeletePercent() * managedCount)) {
        // Losing (most of) the directory at once is far more often an accident (a wrong mount, a
        // checkout in progress, a path that moved) than intent; the operator says so explicitly.
        throw new ConfigException(List.of(new ConfigError(dir.toString(), "--config-dir-max-delete", "",
            "would delete " + expired.size() + " of the " + managedCount + " objects the directory manages ("
                + (expired.size() == managedCount ? "all of them" : "more than " + options.maxDeletePercent() + "%")
                + "): " + expired.stream().map(ObjectRef::toString).sorted().collect(Collectors.joining(", "))
                + "; restore the files, or start with --config-dir-force to delete them")));
      }

      ChangeSet.Builder b = ChangeSet.builder().author(AUTHOR).baseRevision(s.revision());
      Set<String> changed = new TreeSet<>();
      Set<String> removed = new TreeSet<>();
      Set<String> gone = new TreeSet<>();
      int puts = 0;
      int deletes = 0;
      for (Map.Entry<ObjectRef, ConfigObject<?>> d : desired.entrySet()) {
        if (skipped.contains(d.getKey())) continue;
        ConfigObject<?> current = stored.get(d.getKey());
        if (current == null || !sameContent(current, d.getValue())) {
          b.put(d.getValue());
          changed.add(files2.get(d.getKey()));
          puts++;
        }
      }
      for (ObjectRef ref : expired) {
        b.delete(ref);
        deletes++;
        String file = fileOf.get(ref);
        if (file == null) {
          gone.add(ref.toString());
        } else if (present.contains(file)) {
          changed.add(file);
        } else {
          removed.add(file);
        }
      }
      // Objects still serving their grace keep their file, to name it when they go.
      for (ConfigObject<?> o : kept) {
        String file = fileOf.get(ObjectRef.of(o));
        if (file != null) files2.putIfAbsent(ObjectRef.of(o), file);
      }
      if (puts + deletes == 0) {
        waitingFor = null;
        fileOf = files2;
        takenOver = skipped;
        return new Outcome(0, 0, 0, "");
      }
      List<String> parts = new ArrayList<>();
      if (!changed.isEmpty()) parts.add("changed " + String.join(", ", changed));
      if (!removed.isEmpty()) parts.add("removed " + String.join(", ", removed));
      if (!gone.isEmpty()) parts.add("deleted " + String.join(", ", gone) + " (no longer in the directory)");
      String message = "config-dir: " + String.join("; ", parts);
      String waitsFor = waitingFor(message);
      if (waitsFor != null) {
        wakeAt(CANARY_RECHECK.toNanos());
        return new Outcome(0, puts, deletes, message, waitsFor);
      }
      try {
        Applied applied = store.apply(b.message(message).build());
        fileOf = files2;
        takenOver = skipped;
        return new Outcome(applied.revision(), puts, deletes, message);
      } catch (StoreConflictException e) {
        if (e.reason() != StoreConflictException.Reason.REVISION_MISMATCH || attempt == ATTEMPTS) throw e;
        log.debug("the store changed while {} was applied; reading it again: {}", dir, e.getMessage());
      }
    }
  }

  /**
   * The running canary this change ({@code message}) must wait for, or null to apply it now; logs
   * the wait once per canary and the end of it. When the canary cannot be read (etcd away) the
   * change waits too: writing it could not succeed now either, and it must not go past a canary.
   */
  private @Nullable String waitingFor(String message) {
    Canary running;
    try {
      running = canary.get();
    } catch (StoreException e) {
      if (!"?".equals(waitingFor)) {
        log.warn("{} ({}) waits: cannot tell whether a config canary runs ({}); trying again every {}", dir, message,
            e.getMessage(), human(CANARY_RECHECK));
      }
      waitingFor = "?";
      return "?";
    }
    if (running == null) {
      if (waitingFor != null && !waitingFor.equals("?")) {
        log.info("canary {} ended; applying the change of {} that waited for it", waitingFor, dir);
      }
      waitingFor = null;
      return null;
    }
    if (!running.id().equals(waitingFor)) {
      log.warn("{} ({}) waits for canary {} ({} on {}, started by {} at {}): only one change at a time; it is applied once the"
          + " canary is promoted (sluice canary promote) or aborted (sluice canary abort)", dir, message, running.id(),
          running.selector(), String.join(", ", running.nodes()), running.author(), running.startedAt());
    }
    waitingFor = running.id();
    return running.id();
  }

  /**
   * The revision at which the admin API took {@code ref} over from the directory, if it did and the
   * file's version ({@code desired}) is still the one the directory last wrote; else null. Taken
   * over: the directory's last version is followed by a change of another author (which, for a
   * managed object, only a forced write can make). Only objects absent or unmanaged in the store
   * get here, so the store's history is read only for those.
   */
  private @Nullable Long takenOverAt(ObjectRef ref, ConfigObject<?> desired) {
    List<HistoryEntry> history = store.history(ref);
    for (int i = history.size() - 1; i >= 0; i--) {
      HistoryEntry h = history.get(i);
      if (!h.author().equals(AUTHOR)) continue;
      ConfigObject<?> written = h.object();
      if (i == history.size() - 1 || written == null || !isManaged(written) || !sameContent(written, desired)) return null;
      return history.get(i + 1).revision();
    }
    return null;
  }

  private static void parse(String source, byte[] bytes, FileState f) {
    List<ConfigError> errors = new ArrayList<>();
    try {
      String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
      f.parsed = List.copyOf(source.endsWith(".json") ? ObjectCodec.readJson(source, text, errors) : ObjectCodec.readYaml(source, text, errors));
    } catch (CharacterCodingException e) {
      f.parsed = List.of();
      errors.add(new ConfigError(source, "?", "", "not valid UTF-8; expected a UTF-8 text file"));
    }
    f.errors = List.copyOf(errors);
  }

  private void wakeAt(long nanosFromNow) {
    if (wakeIn == null || nanosFromNow < wakeIn) wakeIn = nanosFromNow;
  }

  private static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /**
   * {@link #sync()} for the watcher: logs the outcome; an invalid directory changes nothing and says
   * why (once: the same refusal again, as a timer repeats it, is not logged or counted again).
   *
   * @return when to sync again without a change (a file settling, a grace running out), or null
   */
  private synchronized @Nullable Duration syncLogged() {
    try {
      Outcome o = sync();
      lastRefusal = null;
      if (o.changed()) {
        log.info("{}: revision {} ({} put, {} deleted)", o.message(), o.revision(), o.puts(), o.deletes());
      }
    } catch (ConfigException e) {
      if (firstTime(e.errors().toString())) {
        refused.run();
        log.error("config change in {} refused, the previous config keeps serving; {} error(s):", dir, e.errors().size());
        for (ConfigError err : e.errors()) log.error("  {}", err);
      }
    } catch (StoreConflictException e) {
      if (firstTime(e.getMessage())) {
        refused.run();
        log.error("config change in {} refused by the store ({}), the previous config keeps serving: {}", dir,
            e.reason().name().toLowerCase(java.util.Locale.ROOT), e.getMessage());
      }
    } catch (IOException | UncheckedIOException e) {
      if (firstTime(e.toString())) {
        refused.run();
        log.error("config change in {} not applied: cannot read it: {}", dir, e.getMessage());
      }
    }
    Long in = wakeIn;
    // A refused change is tried again when a timer is due: the grace of others may run out meanwhile.
    return in == null ? null : Duration.ofNanos(Math.max(in, 1_000_000));
  }

  private boolean firstTime(@Nullable String refusal) {
    String r = String.valueOf(refusal);
    if (r.equals(lastRefusal)) return false;
    lastRefusal = r;
    return true;
  }

  /** The YAML/JSON files under the directory, as {@link io.sluice.api.ConfigLoader} reads them: relative, sorted, no hidden ones. */
  private static List<String> listFiles(Path dir) throws IOException {
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
    return ConfigDirOwnership.owned(o);
  }

  private static <S extends Spec> ConfigObject<S> managed(ConfigObject<S> o) {
    // The revision a file may carry is not a precondition here: the directory is the source of truth.
    return ConfigDirOwnership.stamped(o);
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
