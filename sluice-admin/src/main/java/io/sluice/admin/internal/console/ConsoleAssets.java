package io.sluice.admin.internal.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The console's static files, read once from the jar ({@code /io/sluice/admin/console/}, listed in
 * its {@code assets.txt}). Assets are served under a versioned path, {@code /console/assets/VERSION/NAME},
 * where VERSION is a digest of every asset: a browser may keep them for a year, and a new build is a
 * new path. The two HTML pages are not versioned (their URLs are the ones people open); they name the
 * versioned path, and are served uncached.
 *
 * <p>Immutable; thread-safe.
 */
final class ConsoleAssets {
  private static final String ROOT = "/io/sluice/admin/console/";
  /** What the HTML pages say where {@code {{assets}}} stands. */
  private static final String ASSETS_MARK = "{{assets}}";
  /** Served without a session: the login page's own files. */
  private static final Set<String> PUBLIC = Set.of("console.css", "login.js");

  /** A file and its content type. */
  record Asset(String contentType, byte[] bytes, boolean isPublic) {}

  private final String version;
  private final Map<String, Asset> assets;
  private final byte[] index;
  private final byte[] login;

  ConsoleAssets() {
    Map<String, Asset> files = new LinkedHashMap<>();
    MessageDigest digest = sha256();
    for (String name : new String(read("assets.txt"), StandardCharsets.UTF_8).lines().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()) {
      byte[] bytes = read(name);
      digest.update(name.getBytes(StandardCharsets.UTF_8));
      digest.update(bytes);
      files.put(name, new Asset(contentType(name), bytes, PUBLIC.contains(name)));
    }
    byte[] indexTemplate = read("index.html");
    byte[] loginTemplate = read("login.html");
    digest.update(indexTemplate);
    digest.update(loginTemplate);
    this.version = HexFormat.of().formatHex(digest.digest(), 0, 6);
    this.assets = Map.copyOf(files);
    this.index = page(indexTemplate);
    this.login = page(loginTemplate);
  }

  /** {@code /console/assets/VERSION}: where the pages find the assets. */
  String base() {
    return "/console/assets/" + version;
  }

  String version() {
    return version;
  }

  /** The asset {@code name}, or null when there is none. */
  @Nullable Asset asset(String name) {
    return assets.get(name);
  }

  byte[] index() {
    return index;
  }

  byte[] login() {
    return login;
  }

  private byte[] page(byte[] template) {
    return new String(template, StandardCharsets.UTF_8).replace(ASSETS_MARK, base()).getBytes(StandardCharsets.UTF_8);
  }

  static String contentType(String name) {
    if (name.endsWith(".js")) return "text/javascript; charset=utf-8";
    if (name.endsWith(".css")) return "text/css; charset=utf-8";
    if (name.endsWith(".svg")) return "image/svg+xml";
    if (name.endsWith(".html")) return "text/html; charset=utf-8";
    throw new IllegalStateException("console asset '" + name + "': expected a .js, .css, .svg or .html file");
  }

  private static byte[] read(String name) {
    try (InputStream in = ConsoleAssets.class.getResourceAsStream(ROOT + name)) {
      if (in == null) throw new IllegalStateException("the console asset " + ROOT + name + " is missing from the jar");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the console asset " + ROOT + name, e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
