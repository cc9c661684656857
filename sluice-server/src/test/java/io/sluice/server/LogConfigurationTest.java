package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.server.logging.LogConfigurator;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's log is configured in code ({@link LogConfigurator}), not by Logback's XML machinery
 * (docs/benchmarks.md, "Footprint, session 11"): read from a child JVM on the server's runtime class
 * path (no test jar's {@code logback-test.xml}), which logs through SLF4J as the server does.
 */
class LogConfigurationTest {
  private static final Pattern LOADED = Pattern.compile("\\] (\\S+) source: ");
  private static final List<String> XML_CONFIGURATION = List.of("ch.qos.logback.classic.joran.",
      "ch.qos.logback.core.joran.action.", "ch.qos.logback.core.joran.event.", "ch.qos.logback.core.model.",
      "javax.xml.", "com.sun.org.apache.xerces.");
  private static final String LINE = "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ";

  @TempDir
  Path dir;

  @Test
  void logsToStderrInTheServersFormatWithoutLoadingLogbacksXmlConfiguration() throws Exception {
    Child child = run(Map.of());

    assertThat(child.stderr()).hasSize(2);
    assertThat(child.stderr().get(0)).matches(LINE + "INFO  Probe - started on 127\\.0\\.0\\.1:1");
    assertThat(child.stderr().get(1)).matches(LINE + "WARN  Probe - slow");
    assertThat(child.classes()).contains("io.sluice.server.logging.LogConfigurator", "ch.qos.logback.core.ConsoleAppender");
    // Joran's actions, model and XML events, and the JDK's XML parser (ConsoleAppender itself uses
    // ch.qos.logback.core.joran.spi.ConsoleTarget).
    assertThat(child.classes()).filteredOn(c -> XML_CONFIGURATION.stream().anyMatch(c::startsWith)).isEmpty();
  }

  @Test
  void takesTheRootLevelFromSluiceLogLevelAndKeepsNettyAtWarn() throws Exception {
    Child child = run(Map.of("SLUICE_LOG_LEVEL", "debug"));

    assertThat(child.stderr()).hasSize(3);
    assertThat(child.stderr().get(0)).matches(LINE + "INFO  Probe - started on 127\\.0\\.0\\.1:1");
    assertThat(child.stderr().get(1)).matches(LINE + "DEBUG Probe - details");
    assertThat(child.stderr().get(2)).matches(LINE + "WARN  Probe - slow");
  }

  @Test
  void readsAConfigurationFileWhenOneIsNamed() throws Exception {
    Path xml = dir.resolve("logback.xml");
    Files.writeString(xml, """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <target>System.err</target>
            <encoder><pattern>custom %level %msg%n</pattern></encoder>
          </appender>
          <root level="WARN"><appender-ref ref="OUT"/></root>
        </configuration>
        """);

    Child child = run(Map.of(), "-Dlogback.configurationFile=" + xml);

    assertThat(child.stderr()).containsExactly("custom WARN slow");
  }

  @Test
  void unknownLevelNamesMeanInfo() {
    assertThat(LogConfigurator.rootLevel(null)).hasToString("INFO");
    assertThat(LogConfigurator.rootLevel("loud")).hasToString("INFO");
    assertThat(LogConfigurator.rootLevel(" warn ")).hasToString("WARN");
  }

  private record Child(List<String> stderr, List<String> classes) { }

  /** Runs {@link Probe} in a JVM of its own with {@code env} added, and collects its stderr and the classes it loaded. */
  private Child run(Map<String, String> env, String... jvmOptions) throws Exception {
    Path err = dir.resolve("stderr.txt");
    Path classes = dir.resolve("classes.txt");
    String probeClasses = Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Xlog:class+load=info:file=" + classes));
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("-cp", ServerProcess.runtimeClassPath() + File.pathSeparator + probeClasses, Probe.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().remove("SLUICE_LOG_LEVEL");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the child exits").isTrue();
    assertThat(p.exitValue()).as(Files.readString(err)).isZero();
    List<String> loaded = Files.readAllLines(classes).stream().map(LOADED::matcher).filter(Matcher::find).map(m -> m.group(1)).toList();
    return new Child(Files.readAllLines(err), loaded);
  }

  /** Logs as the server's classes do: one line at each level, and Netty's own at INFO (not shown). */
  public static final class Probe {
    private Probe() { }

    public static void main(String[] args) {
      Logger log = LoggerFactory.getLogger("Probe");
      log.info("started on {}", "127.0.0.1:1");
      log.debug("details");
      LoggerFactory.getLogger("io.netty.channel.Probe").info("netty internals");
      log.warn("slow");
    }
  }
}
