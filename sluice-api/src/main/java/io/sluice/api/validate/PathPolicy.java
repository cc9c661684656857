package io.sluice.api.validate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The directories the operator allowed at start for the files that objects name: a file an object
 * names (an access log, a certificate) is inside the directory of its kind, or it is refused. Objects come
 * from the admin API and the config directory, so they must not be able to make the gateway write
 * or read anywhere else (docs/security.md, "Paths").
 *
 * <p>The rule, for a path an object names for directory {@code D}:
 * <ul>
 *   <li>a relative path resolves against {@code D}; an absolute one is allowed only if it is inside
 *       {@code D};
 *   <li>no {@code ..} segment, and not {@code D} itself;
 *   <li>the part of the path that exists is resolved with its symbolic links, and must still lead
 *       inside {@code D} (itself resolved the same way, so {@code D} may be a link);
 *   <li>the file itself, when it exists, is a regular file with one link: not a symbolic link, a
 *       directory, a FIFO or a device, nor a hard link that may be a file anywhere.
 * </ul>
 * Validation checks it ({@link #problem}), and so does whoever opens the file, right before opening
 * it, since the file system may have changed in between.
 *
 * <p>A new kind of file (wasm modules, plugin jars) is one more {@link Directory}
 * with its own start option. Immutable and thread-safe.
 */
public final class PathPolicy {
  /** Kinds of files objects may name, each with the directory the operator allows for it. */
  public enum Directory {
    /** Access log files. */
    LOGS("log directory", "--log-dir", "access.log"),
    /** Certificate, private key and CA files of Secrets. */
    CERTS("certificate directory", "--cert-dir", "web.pem");

    private final String description;
    private final String option;
    private final String example;

    Directory(String description, String option, String example) {
      this.description = description;
      this.option = option;
      this.example = example;
    }

    /** How error messages name it: {@code log directory}. */
    public String description() {
      return description;
    }

    /** The {@code sluice serve} option that sets it: {@code --log-dir}. */
    public String option() {
      return option;
    }
  }

  /**
   * What {@code sluice serve} allows without options: the log directory {@code data/logs} under the
   * working directory. Used where no server says otherwise ({@code ConfigSet.of} without a policy).
   */
  public static final PathPolicy DEFAULT = logDirectory(Path.of("data", "logs"));

  private final Map<Directory, Path> directories;

  private PathPolicy(Map<Directory, Path> directories) {
    this.directories = directories;
  }

  /**
   * A policy with a directory for every {@link Directory}.
   *
   * @param directories made absolute and normalised
   * @throws IllegalArgumentException when a kind of directory is missing
   */
  public static PathPolicy of(Map<Directory, Path> directories) {
    Map<Directory, Path> dirs = new EnumMap<>(Directory.class);
    for (Directory d : Directory.values()) {
      Path p = directories.get(d);
      if (p == null) throw new IllegalArgumentException("no " + d.description() + " (" + d.option() + ") given");
      dirs.put(d, p.toAbsolutePath().normalize());
    }
    return new PathPolicy(dirs);
  }

  /**
   * A policy whose log directory is {@code logDir} and whose certificate directory is {@code certs}
   * beside it ({@code <data-dir>/logs} and {@code <data-dir>/certs}, as {@code sluice serve} lays them out).
   */
  public static PathPolicy logDirectory(Path logDir) {
    Objects.requireNonNull(logDir, "logDir");
    Path abs = logDir.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    return of(Map.of(Directory.LOGS, abs, Directory.CERTS, parent == null ? abs.resolve("certs") : parent.resolve("certs")));
  }

  /** This policy with {@code dir} (made absolute and normalised) as the directory of {@code kind}. */
  public PathPolicy with(Directory kind, Path dir) {
    Map<Directory, Path> dirs = new EnumMap<>(directories);
    dirs.put(kind, Objects.requireNonNull(dir, "dir"));
    return of(dirs);
  }

  /** The directory allowed for {@code kind}: absolute and normalised. */
  public Path directory(Directory kind) {
    // of() put every kind in the map
    return Objects.requireNonNull(directories.get(kind), kind.description());
  }

  /**
   * Where {@code path} (as an object names it) is: resolved against the directory of {@code kind}
   * and normalised. Says nothing about whether it is allowed; see {@link #problem}.
   *
   * @throws InvalidPathException when {@code path} is not a path on this system
   */
  public Path resolve(Directory kind, String path) {
    return directory(kind).resolve(path).normalize();
  }

  /**
   * What is wrong with {@code path} (as an object names it) for {@code kind}, or null when it is
   * allowed. Reads the file system (the existing part of the path); an I/O error reading it is a
   * problem too.
   */
  public @Nullable String problem(Directory kind, String path) {
    Path dir = directory(kind);
    String where = " the " + kind.description() + " " + dir + " (" + kind.option() + ")";
    Path raw;
    try {
      raw = Path.of(path);
    } catch (InvalidPathException e) {
      return "invalid path '" + path + "': " + e.getReason();
    }
    for (Path part : raw) {
      if (part.toString().equals("..")) {
        return path + " has a '..' segment; expected a path inside" + where + " without '..', such as " + kind.example;
      }
    }
    Path resolved = dir.resolve(raw).normalize();
    if (!resolved.startsWith(dir) || resolved.equals(dir)) {
      return path + " is outside" + where + "; expected a path relative to it, such as " + kind.example;
    }
    try {
      Path realDir = real(dir);
      // resolved is inside dir and not dir itself, so it has a parent
      Path realParent = real(Objects.requireNonNull(resolved.getParent()));
      if (!realParent.startsWith(realDir)) {
        return path + " leads outside" + where + " through a symbolic link: " + resolved.getParent() + " is " + realParent;
      }
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(resolved, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return null;
      }
      if (a.isSymbolicLink()) return path + " is a symbolic link; expected a regular file (links are not followed)";
      if (!a.isRegularFile()) return path + " is " + typeOf(a) + "; expected a regular file";
      int links = links(resolved);
      if (links > 1) {
        return path + " has " + links + " hard links; expected a file of its own (a link may be a file outside" + where + ")";
      }
      return null;
    } catch (IOException e) {
      return "cannot check " + path + ": " + e;
    }
  }

  /** How many hard links the file {@code p} has; 1 where the file system cannot tell. */
  public static int links(Path p) throws IOException {
    if (!p.getFileSystem().supportedFileAttributeViews().contains("unix")) return 1;
    return (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
  }

  /** {@code p} with its longest existing ancestor resolved with its links, the rest appended as it is. */
  private static Path real(Path p) throws IOException {
    Path existing = p;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) existing = existing.getParent();
    if (existing == null) return p;
    return existing.toRealPath().resolve(existing.relativize(p)).normalize();
  }

  /** {@code a directory}, {@code a special file (FIFO, socket or device)}. */
  public static String typeOf(BasicFileAttributes a) {
    if (a.isDirectory()) return "a directory";
    if (a.isSymbolicLink()) return "a symbolic link";
    if (a.isRegularFile()) return "a regular file";
    return "a special file (FIFO, socket or device)";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PathPolicy p && p.directories.equals(directories);
  }

  @Override
  public int hashCode() {
    return directories.hashCode();
  }

  @Override
  public String toString() {
    return "PathPolicy" + directories;
  }
}
