package io.sluice.proxy.filter.internal;

import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.PluginProblems;
import io.sluice.api.plugin.PluginSpec;
import io.sluice.filter.FilterFactory;
import io.sluice.proxy.internal.ObjectCompileException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Loads Plugin jars: reads the file (a regular file, not a link, at most {@link #MAX_SIZE} bytes),
 * checks its SHA-256, unpacks it into memory (bounded, against zip bombs), gives it a
 * {@link PluginClassLoader} and finds its {@link FilterFactory} implementations with
 * {@link ServiceLoader}. Runs at validation and apply time, off the event loops.
 *
 * <p><b>Lifetime.</b> A loaded jar is cached by path and SHA-256 (and the file's size, time and
 * identity, so a file replaced under the same hash is read again) through a weak reference: the
 * cache itself keeps nothing alive. What keeps a jar loaded is a {@link FilterRegistry} built with
 * it, which a compiled configuration holds ({@code FilterChains}), and the filters its factories
 * created, whose classes hold their loader, which holds its jar's entry here. So when the Plugin's
 * jar changes (a new {@code sha256}), the next configuration is compiled with a new loader;
 * requests in flight on the previous snapshot finish with the old filters, and once no snapshot
 * and no exchange holds them the old loader becomes unreachable and is collected with its
 * classes (it holds no open file: the jar was read into memory). Thread-safe.
 */
public final class PluginJars {
  /** The largest jar loaded. */
  public static final long MAX_SIZE = 64L << 20;
  private static final long MAX_UNPACKED = 256L << 20;
  private static final int MAX_ENTRIES = 65_536;
  private static final String SERVICES = "META-INF/services/" + FilterFactory.class.getName();
  private static final Pattern KIND = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private static final Map<Key, WeakReference<Loaded>> CACHE = new ConcurrentHashMap<>();

  private PluginJars() {}

  private record Key(Path path, String sha256) {}

  /** What identifies the file's content short of reading it again. */
  private record Stamp(long size, long modified, @Nullable Object fileKey) {}

  /** One loaded jar: its loader and factories by their own kind. */
  record Loaded(Stamp stamp, PluginClassLoader loader, Map<String, FilterFactory<?>> factories) {}

  /** Why a jar was refused: the Plugin's field it is about, and the message. */
  static final class LoadException extends Exception {
    private static final long serialVersionUID = 1L;
    final String field;

    LoadException(String field, String message) {
      super(message, null, false, false);
      this.field = field;
    }
  }

  /**
   * {@code base} with the kinds of every Plugin of {@code plugins} that loads; each one that does
   * not is reported to {@code problems} with its field.
   */
  static FilterRegistry registry(FilterRegistry base, List<ConfigObject<PluginSpec>> plugins, PluginProblems problems) {
    List<FilterRegistry.PluginKinds> kinds = new ArrayList<>();
    for (ConfigObject<PluginSpec> p : plugins) {
      try {
        kinds.add(kinds(p));
      } catch (LoadException e) {
        problems.add(p, e.field, Objects.requireNonNull(e.getMessage()));
      }
    }
    return base.withPlugins(kinds);
  }

  /**
   * The registry a configuration is compiled with: the installed filter kinds and those of its
   * Plugins.
   *
   * @throws ObjectCompileException naming a Plugin whose jar no longer loads (changed on disk since
   *     validation), so that the data plane skips it and the routes that use it
   */
  public static FilterRegistry registryFor(ConfigSet config) {
    List<ConfigObject<PluginSpec>> plugins = config.plugins();
    if (plugins.isEmpty()) return FilterRegistry.installed();
    List<FilterRegistry.PluginKinds> kinds = new ArrayList<>();
    for (ConfigObject<PluginSpec> p : plugins) {
      try {
        kinds.add(kinds(p));
      } catch (LoadException e) {
        throw new ObjectCompileException(ObjectRef.of(p), new IllegalArgumentException(e.field + ": " + e.getMessage()));
      }
    }
    return FilterRegistry.installed().withPlugins(kinds);
  }

  private static FilterRegistry.PluginKinds kinds(ConfigObject<PluginSpec> p) throws LoadException {
    String jar = Objects.requireNonNull(p.spec().jar(), "validated: spec.jar is set");
    String sha = Objects.requireNonNull(p.spec().sha256(), "validated: spec.sha256 is set").toLowerCase(Locale.ROOT);
    Loaded loaded = load(p.name(), Path.of(jar), sha);
    for (String kind : p.spec().config().keySet()) {
      if (!loaded.factories().containsKey(kind)) {
        throw new LoadException("spec.config." + kind, "the plugin has no filter kind '" + kind + "'; expected one of "
            + String.join(", ", loaded.factories().keySet()));
      }
    }
    return new FilterRegistry.PluginKinds(p.name(), loaded.factories(), p.spec().config(), loaded);
  }

  /** The jar at {@code file} with SHA-256 {@code sha256} (lower case), loaded, from the cache when it did not change. */
  static Loaded load(String plugin, Path file, String sha256) throws LoadException {
    Path path = file.toAbsolutePath().normalize();
    Key key = new Key(path, sha256);
    BasicFileAttributes a = attributes(path);
    Stamp stamp = new Stamp(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
    WeakReference<Loaded> ref = CACHE.get(key);
    Loaded cached = ref == null ? null : ref.get();
    if (cached != null && cached.stamp().equals(stamp)) return cached;
    byte[] bytes = read(path, a);
    String actual = HexFormat.of().formatHex(sha256(bytes));
    if (!actual.equals(sha256)) {
      throw new LoadException("spec.sha256", path + " has SHA-256 " + actual + "; expected " + sha256
          + " (update sha256 when the jar changes)");
    }
    Map<String, byte[]> entries = unpack(path, bytes);
    if (!entries.containsKey(SERVICES)) {
      throw new LoadException("spec.jar", path + " has no " + SERVICES + "; expected a plugin jar that lists its filter factories there");
    }
    PluginClassLoader loader = new PluginClassLoader(plugin + " " + sha256.substring(0, 12), entries);
    Loaded loaded = new Loaded(stamp, loader, factories(path, loader));
    CACHE.put(key, new WeakReference<>(loaded));
    // The loader keeps its entry alive: filters that outlive the registry keep the cache warm.
    loader.owner = loaded;
    CACHE.entrySet().removeIf(e -> e.getValue().get() == null);
    return loaded;
  }

  private static Map<String, FilterFactory<?>> factories(Path path, PluginClassLoader loader) throws LoadException {
    Map<String, FilterFactory<?>> byKind = new LinkedHashMap<>();
    Thread t = Thread.currentThread();
    ClassLoader previous = t.getContextClassLoader();
    t.setContextClassLoader(loader);
    try {
      Iterator<FilterFactory> it = ServiceLoader.load(FilterFactory.class, loader).iterator();
      while (it.hasNext()) {
        FilterFactory<?> f = it.next();
        String kind = f.kind();
        if (kind == null || !KIND.matcher(kind).matches()) {
          throw new LoadException("spec.jar", path + ": " + f.getClass().getName() + " declares the invalid filter kind '" + kind
              + "'; expected lower-case letters, digits and '-'");
        }
        if (f.configType() == null) {
          throw new LoadException("spec.jar", path + ": " + f.getClass().getName() + ".configType() returned null; expected its config class");
        }
        FilterFactory<?> other = byKind.putIfAbsent(kind, f);
        if (other != null) {
          throw new LoadException("spec.jar", path + ": filter kind '" + kind + "' is declared by both " + other.getClass().getName()
              + " and " + f.getClass().getName());
        }
      }
    } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
      throw new LoadException("spec.jar", path + ": a filter factory cannot be loaded: " + describe(e));
    } finally {
      t.setContextClassLoader(previous);
    }
    if (byKind.isEmpty()) {
      throw new LoadException("spec.jar", path + " lists no filter factory in " + SERVICES + "; expected at least one class name");
    }
    return Map.copyOf(byKind);
  }

  private static String describe(Throwable e) {
    StringBuilder b = new StringBuilder(e.toString());
    for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) b.append("; caused by ").append(c);
    return b.toString();
  }

  private static BasicFileAttributes attributes(Path path) throws LoadException {
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        throw new LoadException("spec.jar", path + " is " + (a.isSymbolicLink() ? "a symbolic link" : a.isDirectory()
            ? "a directory" : "not a regular file") + "; expected a regular .jar file");
      }
      if (a.size() > MAX_SIZE) throw new LoadException("spec.jar", path + " has " + a.size() + " bytes; expected at most " + MAX_SIZE);
      return a;
    } catch (IOException e) {
      throw new LoadException("spec.jar", "cannot read " + path + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }
  }

  private static byte[] read(Path path, BasicFileAttributes a) throws LoadException {
    try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
      byte[] bytes = in.readNBytes((int) MAX_SIZE + 1);
      if (bytes.length > MAX_SIZE) throw new LoadException("spec.jar", path + " grew past " + MAX_SIZE + " bytes while read");
      return bytes;
    } catch (IOException e) {
      throw new LoadException("spec.jar", "cannot read " + path + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }
  }

  /** The jar's file entries by name, bounded in count and unpacked size. */
  private static Map<String, byte[]> unpack(Path path, byte[] jar) throws LoadException {
    Map<String, byte[]> entries = new HashMap<>();
    long total = 0;
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(jar))) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        if (e.isDirectory()) continue;
        if (entries.size() >= MAX_ENTRIES) {
          throw new LoadException("spec.jar", path + " has more than " + MAX_ENTRIES + " entries");
        }
        byte[] b = zip.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, MAX_UNPACKED - total + 1));
        total += b.length;
        if (total > MAX_UNPACKED) {
          throw new LoadException("spec.jar", path + " unpacks to more than " + MAX_UNPACKED + " bytes; expected a smaller jar");
        }
        entries.putIfAbsent(e.getName(), b);
      }
    } catch (IOException e) {
      throw new LoadException("spec.jar", path + " is not a readable jar: " + e.getMessage());
    }
    if (entries.isEmpty()) throw new LoadException("spec.jar", path + " is not a jar (no zip entries); expected a plugin .jar file");
    return entries;
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
