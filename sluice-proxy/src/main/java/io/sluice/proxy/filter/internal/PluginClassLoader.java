package io.sluice.proxy.filter.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The class loader of one plugin jar: its classes and resources from the jar's entries, held in
 * memory (read once, when the jar's SHA-256 was checked, so what runs is exactly what was hashed and
 * no file stays open), parent {@link SpiOnlyClassLoader}. Resources are served under
 * {@code sluice-plugin:} URLs that only this loader's handler opens. Nothing closes it: it holds no
 * file, and it and its classes are collected once no filter of the plugin is reachable (see
 * {@link PluginJars}). Thread-safe (parallel capable).
 */
final class PluginClassLoader extends ClassLoader {
  static {
    registerAsParallelCapable();
  }

  private final Map<String, byte[]> entries;
  private final String label;
  /**
   * The {@link PluginJars} entry of this loader, kept alive as long as the loader is (the cache
   * refers to it weakly): set once, right after the factories are found.
   */
  volatile @Nullable Object owner;
  private final ProtectionDomain domain;
  private final URLStreamHandler handler = new URLStreamHandler() {
    @Override
    protected URLConnection openConnection(URL u) throws IOException {
      byte[] bytes = entries.get(entryOf(u));
      if (bytes == null) throw new IOException(u + " is not an entry of the plugin jar");
      return new URLConnection(u) {
        @Override
        public void connect() {}

        @Override
        public InputStream getInputStream() {
          return new ByteArrayInputStream(bytes);
        }
      };
    }
  };

  /**
   * @param label names the loader in stack traces and class names: {@code <plugin> <sha256 prefix>}
   * @param entries the jar's file entries by name ({@code a/b/C.class}); not copied, not changed afterwards
   */
  PluginClassLoader(String label, Map<String, byte[]> entries) {
    super(label, SpiOnlyClassLoader.INSTANCE);
    this.label = label;
    this.entries = entries;
    this.domain = new ProtectionDomain(new CodeSource(null, (Certificate[]) null), null, this, null);
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    byte[] bytes = entries.get(name.replace('.', '/') + ".class");
    if (bytes == null || SpiOnlyClassLoader.shared(name)) throw new ClassNotFoundException(name);
    return defineClass(name, bytes, 0, bytes.length, domain);
  }

  @Override
  protected @Nullable URL findResource(String name) {
    if (!entries.containsKey(name)) return null;
    try {
      return URL.of(new URI("sluice-plugin", label.replace(' ', '-') + "!/" + name, null), handler);
    } catch (URISyntaxException | java.net.MalformedURLException e) {
      return null;
    }
  }

  @Override
  protected Enumeration<URL> findResources(String name) {
    URL u = findResource(name);
    return u == null ? Collections.emptyEnumeration() : Collections.enumeration(java.util.List.of(u));
  }

  private static String entryOf(URL u) throws IOException {
    try {
      String ssp = u.toURI().getSchemeSpecificPart();
      int bang = ssp.indexOf("!/");
      if (bang < 0) throw new IOException(u + " names no entry");
      return ssp.substring(bang + 2);
    } catch (URISyntaxException e) {
      throw new IOException(u + " is not a plugin URL", e);
    }
  }

  @Override
  public String toString() {
    return "PluginClassLoader[" + label + "]";
  }
}
