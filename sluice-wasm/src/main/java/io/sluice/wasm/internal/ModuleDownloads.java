package io.sluice.wasm.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Modules configured by {@code url}: fetched over HTTP(S) when a configuration is validated or
 * applied (never on an event loop), at most {@link PluginModule#MAX_SIZE} bytes within
 * {@link #TIMEOUT}, no redirects followed, and kept only if their SHA-256 is the configured one.
 * Kept modules are cached on disk by their SHA-256 in the directory the system property
 * {@value #CACHE_DIR_PROPERTY} names ({@code sluice serve} sets {@code <data-dir>/wasm-cache}), so
 * a restart finds them without the network; a cached file is read only if its content still has
 * the hash its name says. Without the property nothing is cached (each validation fetches again).
 *
 * <p>Threading: any thread but an event loop (it blocks); concurrent fetches of one module may
 * both download it, and the cache file is replaced atomically.
 */
public final class ModuleDownloads {
  /** The system property naming the cache directory. */
  public static final String CACHE_DIR_PROPERTY = "sluice.wasm.cacheDir";
  /** The longest a download may take, connection included. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(TIMEOUT)
      .build();

  private ModuleDownloads() {}

  /** The downloaded content has another SHA-256 than the configured one. */
  public static final class WrongDigest extends IllegalArgumentException {
    WrongDigest(String message) {
      super(message);
    }
  }

  /**
   * The bytes of the module at {@code url} whose SHA-256 is {@code sha256}: from the cache, else
   * downloaded (and then cached).
   *
   * @throws IllegalArgumentException naming the URL when it cannot be fetched or its content has
   *     another hash (never with the content)
   */
  public static byte[] get(URI url, String sha256) {
    String expected = sha256.toLowerCase(Locale.ROOT);
    Path cached = cacheFile(expected);
    if (cached != null) {
      byte[] bytes = readCached(cached);
      if (bytes != null && PluginModule.sha256(bytes).equals(expected)) return bytes;
    }
    byte[] bytes = download(url);
    String actual = PluginModule.sha256(bytes);
    if (!actual.equals(expected)) {
      throw new WrongDigest(url + " has SHA-256 " + actual + "; expected " + expected + " (update sha256 when the module changes)");
    }
    if (cached != null) store(cached, bytes);
    return bytes;
  }

  private static @Nullable Path cacheFile(String sha256) {
    String dir = System.getProperty(CACHE_DIR_PROPERTY);
    return dir == null || dir.isBlank() ? null : Path.of(dir).resolve(sha256 + ".wasm");
  }

  private static byte @Nullable [] readCached(Path file) {
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > PluginModule.MAX_SIZE) return null;
      return Files.readAllBytes(file);
    } catch (IOException e) {
      return null;
    }
  }

  private static byte[] download(URI url) {
    HttpRequest request = HttpRequest.newBuilder(url).timeout(TIMEOUT).GET().build();
    try {
      HttpResponse<InputStream> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = r.body()) {
        if (r.statusCode() != 200) throw new IllegalArgumentException("cannot fetch " + url + ": status " + r.statusCode() + "; expected 200");
        long length = r.headers().firstValueAsLong("content-length").orElse(-1);
        if (length > PluginModule.MAX_SIZE) {
          throw new IllegalArgumentException(url + " has " + length + " bytes; expected at most " + PluginModule.MAX_SIZE);
        }
        byte[] bytes = in.readNBytes((int) PluginModule.MAX_SIZE + 1);
        if (bytes.length > PluginModule.MAX_SIZE) throw new IllegalArgumentException(url + " has more than " + PluginModule.MAX_SIZE + " bytes");
        return bytes;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot fetch " + url + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalArgumentException("fetching " + url + " was interrupted", e);
    }
  }

  /** Writes the cache file through a temporary file and a rename, so a reader never sees half of it. */
  private static void store(Path file, byte[] bytes) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), ".download-", ".tmp");
      try {
        Files.write(tmp, bytes);
        try {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      // The module is good; only a restart without network will miss it.
      org.slf4j.LoggerFactory.getLogger(ModuleDownloads.class).warn("cannot cache the wasm module {} in {}: {}", file.getFileName(), file.getParent(), e.toString());
    }
  }
}
