package io.sluice.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.jspecify.annotations.Nullable;

/**
 * Sluice's operational log, configured in code: what {@code logback.xml} configured, without
 * Logback's XML configuration machinery (Joran, its model classes and the JDK's XML parser: ~480
 * classes loaded at every start; docs/benchmarks.md, "Footprint, session 11").
 *
 * <p>Logback finds this class through {@code META-INF/services} and runs it before its own
 * configurators. The log goes to stderr as {@code HH:mm:ss.SSS LEVEL Logger - message}; the root level is
 * {@code SLUICE_LOG_LEVEL} (a system property, else the environment variable; {@code INFO} when
 * unset or not a level), {@code io.netty} logs warnings and errors only. A configuration file
 * still wins: with {@code -Dlogback.configurationFile=FILE}, or a {@code logback.xml} or
 * {@code logback-test.xml} on the class path, this does nothing and Logback reads that file as
 * usual.
 *
 * <p>Runs once, on the thread that first asks SLF4J for a logger.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  /** The layout of every line; the data plane logs nothing per request (the access log is separate). */
  public static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";
  /** The name of the setting for the root level (system property or environment variable). */
  public static final String LEVEL_SETTING = "SLUICE_LOG_LEVEL";
  private static final String CONFIG_FILE_PROPERTY = "logback.configurationFile";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (configurationFileGiven()) return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(rootLevel(setting(System.getProperty(LEVEL_SETTING), System.getenv(LEVEL_SETTING))));
    root.addAppender(stderr);
    context.getLogger("io.netty").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** The root level named by {@code value} ({@code debug}, {@code WARN}, ...), {@code INFO} for none or an unknown name. */
  public static Level rootLevel(@Nullable String value) {
    return value == null ? Level.INFO : Level.toLevel(value.strip(), Level.INFO);
  }

  private static @Nullable String setting(@Nullable String property, @Nullable String environment) {
    return property != null && !property.isBlank() ? property : environment;
  }

  private static boolean configurationFileGiven() {
    String file = System.getProperty(CONFIG_FILE_PROPERTY);
    if (file != null && !file.isBlank()) return true;
    ClassLoader loader = LogConfigurator.class.getClassLoader();
    return loader.getResource("logback-test.xml") != null || loader.getResource("logback.xml") != null;
  }
}
