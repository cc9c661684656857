package io.sluice.proxy.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds filter plugin jars at test time: compiles Java sources with the JDK's compiler against
 * this test run's class path (which has {@code sluice-filter-api}) and zips the classes with the
 * {@code META-INF/services/io.sluice.filter.FilterFactory} entry, so no binary is committed.
 */
public final class PluginJarBuilder {
  private final Map<String, String> sources = new LinkedHashMap<>();
  private final List<String> factories = new ArrayList<>();
  private final Map<String, String> resources = new LinkedHashMap<>();

  /** Adds the source of class {@code className} (fully qualified). */
  public PluginJarBuilder source(String className, String source) {
    sources.put(className, source);
    return this;
  }

  /** Lists {@code className} in the services file. */
  public PluginJarBuilder factory(String className) {
    factories.add(className);
    return this;
  }

  /** Adds a raw entry (for a services file written by hand). */
  public PluginJarBuilder resource(String name, String content) {
    resources.put(name, content);
    return this;
  }

  /** Compiles the sources and writes the jar to {@code jar}; returns it. */
  public Path build(Path jar) throws IOException {
    Path work = Files.createTempDirectory(jar.getParent(), "plugin-src");
    Path src = work.resolve("src");
    Path classes = Files.createDirectories(work.resolve("classes"));
    List<String> args = new ArrayList<>(List.of("--release", "21", "-proc:none", "-classpath",
        System.getProperty("java.class.path"), "-d", classes.toString()));
    for (Map.Entry<String, String> s : sources.entrySet()) {
      Path file = src.resolve(s.getKey().replace('.', '/') + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, s.getValue());
      args.add(file.toString());
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    java.io.StringWriter out = new java.io.StringWriter();
    int rc = javac.getTask(out, null, null, args.subList(0, 7), null,
        javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)
            .getJavaFileObjectsFromStrings(args.subList(7, args.size()))).call() ? 0 : 1;
    if (rc != 0) throw new IllegalStateException("plugin sources do not compile: " + out);
    try (OutputStream os = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(os);
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        zip.putNextEntry(new ZipEntry(classes.relativize(f).toString().replace('\\', '/')));
        zip.write(Files.readAllBytes(f));
        zip.closeEntry();
      }
      if (!factories.isEmpty()) {
        zip.putNextEntry(new ZipEntry("META-INF/services/io.sluice.filter.FilterFactory"));
        zip.write((String.join("\n", factories) + "\n").getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
      for (Map.Entry<String, String> r : resources.entrySet()) {
        zip.putNextEntry(new ZipEntry(r.getKey()));
        zip.write(r.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return jar;
  }

  /** The SHA-256 of {@code file}, lower-case hex, as sha256sum prints it. */
  public static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A plugin with one filter kind, {@code stamp}: config {@code {header, value}}; its response phase
   * sets {@code header} to {@code <version>} (or {@code value} when given). It also bundles its own
   * {@code com.fasterxml.jackson.databind.ObjectMapper}, a class the gateway uses too, and sets
   * {@code x-mapper} to what that class answers: {@code bundled} only when the plugin's own class runs.
   */
  public static PluginJarBuilder stamp(String version) {
    return new PluginJarBuilder()
        .source("acme.StampFactory", """
            package acme;

            import io.sluice.api.filter.FilterConfigValidator.Problems;
            import io.sluice.filter.Exchange;
            import io.sluice.filter.Filter;
            import io.sluice.filter.FilterEnvironment;
            import io.sluice.filter.FilterFactory;
            import io.sluice.filter.FilterResult;

            public final class StampFactory implements FilterFactory<StampFactory.Config> {
              public record Config(String header, String value) {}

              @Override public String kind() { return "stamp"; }
              @Override public Class<Config> configType() { return Config.class; }

              @Override public void validate(Config c, Problems problems) {
                if (c.header() == null) problems.add("header", "missing; expected a header name");
              }

              @Override public Filter create(Config c, FilterEnvironment env) {
                String v = c.value() != null ? c.value() : "%s";
                String mapper = com.fasterxml.jackson.databind.ObjectMapper.whose();
                return new Filter() {
                  @Override public FilterResult onResponse(Exchange e) {
                    e.response().headers().set(c.header(), v);
                    e.response().headers().set("x-mapper", mapper);
                    return FilterResult.CONTINUE;
                  }
                };
              }
            }
            """.formatted(version))
        .source("com.fasterxml.jackson.databind.ObjectMapper", """
            package com.fasterxml.jackson.databind;

            public final class ObjectMapper {
              public static String whose() { return "bundled"; }
            }
            """)
        .factory("acme.StampFactory");
  }
}
