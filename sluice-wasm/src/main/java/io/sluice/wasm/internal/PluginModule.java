package io.sluice.wasm.internal;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.Import;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A proxy-wasm module read, checked and parsed: its file is a regular file (not a link) of at most
 * {@link #MAX_SIZE} bytes whose SHA-256 is the one configured, it exports the proxy-wasm ABI
 * (0.2.0 or 0.2.1) and imports only what {@link HostFunctions} provides. Immutable; parsed and
 * compiled to JVM bytecode (Chicory's compiler) once, instantiated once per event loop.
 */
public final class PluginModule {
  /** The largest module file read. */
  public static final long MAX_SIZE = 64L << 20;

  private final WasmModule module;
  private final Function<Instance, Machine> machines;
  private final String sha256;

  private PluginModule(WasmModule module, Function<Instance, Machine> machines, String sha256) {
    this.module = module;
    this.machines = machines;
    this.sha256 = sha256;
  }

  WasmModule module() {
    return module;
  }

  /** Makes the machine of a new instance: the module's functions compiled to JVM bytecode, once per module. */
  Function<Instance, Machine> machines() {
    return machines;
  }

  /** The module's SHA-256, lower-case hex. */
  public String sha256() {
    return sha256;
  }

  /**
   * Reads and checks the module at {@code file}.
   *
   * @throws IllegalArgumentException with a message fit for the operator (never the file's bytes)
   */
  public static PluginModule load(Path file, String expectedSha256) {
    return parse(file.toString(), read(file), expectedSha256);
  }

  /**
   * Checks and parses module bytes from {@code origin} (a file or URL, named in errors).
   *
   * @throws IllegalArgumentException with a message fit for the operator (never the bytes)
   */
  public static PluginModule parse(String origin, byte[] bytes, String expectedSha256) {
    String actual = sha256(bytes);
    if (!actual.equalsIgnoreCase(expectedSha256)) {
      throw new IllegalArgumentException(origin + " has SHA-256 " + actual + "; expected " + expectedSha256.toLowerCase(java.util.Locale.ROOT)
          + " (update sha256 when the module changes)");
    }
    WasmModule m;
    try {
      m = Parser.parse(bytes);
    } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException(origin + " is not a valid WebAssembly module: " + e.getMessage(), e);
    }
    check(origin, m);
    Function<Instance, Machine> machines;
    try {
      machines = MachineFactoryCompiler.compile(m);
    } catch (ChicoryException e) {
      throw new IllegalArgumentException(origin + " cannot be compiled: " + e.getMessage(), e);
    }
    return new PluginModule(m, machines, actual);
  }

  /** The SHA-256 of {@code bytes}, lower-case hex. */
  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest(bytes));
  }

  private static byte[] read(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        throw new IllegalArgumentException(file + " is " + (a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory" : "not a regular file")
            + "; expected a regular .wasm file");
      }
      if (a.size() > MAX_SIZE) throw new IllegalArgumentException(file + " has " + a.size() + " bytes; expected at most " + MAX_SIZE);
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        byte[] bytes = in.readNBytes((int) MAX_SIZE + 1);
        if (bytes.length > MAX_SIZE) throw new IllegalArgumentException(file + " grew past " + MAX_SIZE + " bytes while read");
        return bytes;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    }
  }

  private static byte[] digest(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static void check(String file, WasmModule m) {
    Set<String> exports = new TreeSet<>();
    for (int i = 0; i < m.exportSection().exportCount(); i++) {
      Export e = m.exportSection().getExport(i);
      exports.add(e.name());
    }
    if (!exports.contains("proxy_abi_version_0_2_0") && !exports.contains("proxy_abi_version_0_2_1")) {
      throw new IllegalArgumentException(file + " is not a proxy-wasm plugin: it exports neither proxy_abi_version_0_2_0 nor proxy_abi_version_0_2_1");
    }
    if (!exports.contains("malloc") && !exports.contains("proxy_on_memory_allocate")) {
      throw new IllegalArgumentException(file + " exports no allocator (proxy_on_memory_allocate or malloc), which the host needs to return data to it");
    }
    if (!exports.contains("memory")) throw new IllegalArgumentException(file + " exports no memory");
    List<String> unsupported = new ArrayList<>();
    for (int i = 0; i < m.importSection().importCount(); i++) {
      Import imp = m.importSection().getImport(i);
      if (imp.importType() != ExternalType.FUNCTION || !HostFunctions.provides(imp.module(), imp.name())) {
        unsupported.add(imp.module() + "." + imp.name());
      }
    }
    if (!unsupported.isEmpty()) {
      throw new IllegalArgumentException(file + " imports " + String.join(", ", unsupported)
          + ", which Sluice does not provide; expected only the functions docs/filters.md lists");
    }
  }
}
