package io.sluice.proxy.filter.internal;

import io.sluice.filter.FilterFactory;
import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import org.jspecify.annotations.Nullable;

/**
 * The parent of every plugin's class loader: the JDK (the platform class loader) and the filter
 * SPI, nothing else of the gateway. The SPI is {@code io.sluice.filter} with the {@code sluice-api}
 * types its signatures use ({@code io.sluice.api}) and JSpecify's annotations; those names come
 * from the gateway's own loader, so a plugin's {@code FilterFactory} is the gateway's. Every other
 * name (Netty, Jackson, OpenTelemetry, resilience4j, Sluice's internals) is not found here, so the
 * plugin's loader finds it in the plugin's own jar or not at all: a plugin that bundles its own
 * Jackson runs it, not the gateway's. Resources come from the JDK only, so the plugin's
 * {@code ServiceLoader} sees the plugin's own {@code META-INF/services}. Stateless and thread-safe.
 */
final class SpiOnlyClassLoader extends ClassLoader {
  static final SpiOnlyClassLoader INSTANCE = new SpiOnlyClassLoader();
  private static final String[] SHARED = {"io.sluice.filter.", "io.sluice.api.", "org.jspecify.annotations."};

  static {
    registerAsParallelCapable();
  }

  private final ClassLoader gateway = FilterFactory.class.getClassLoader();

  private SpiOnlyClassLoader() {
    super("sluice-filter-spi", ClassLoader.getPlatformClassLoader());
  }

  /** Whether {@code className} is the SPI's, which plugins share with the gateway. */
  static boolean shared(String className) {
    for (String p : SHARED) {
      if (className.startsWith(p)) return true;
    }
    return false;
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    if (shared(name)) return gateway.loadClass(name);
    return super.loadClass(name, resolve);
  }

  @Override
  protected @Nullable URL findResource(String name) {
    return null;
  }

  @Override
  protected Enumeration<URL> findResources(String name) throws IOException {
    return Collections.emptyEnumeration();
  }
}
