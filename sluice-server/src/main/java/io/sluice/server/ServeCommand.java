package io.sluice.server;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigLoader;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.proxy.Gateway;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code sluice serve --config-dir DIR}: runs the gateway on a config directory and applies every
 * valid change to it while running; an invalid change is logged with its errors and not applied.
 */
@Command(name = "serve", description = "Run the gateway on a config directory, reloading it on change.")
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = "--config-dir", required = true, paramLabel = "DIR", description = "directory of YAML/JSON objects; watched for changes")
  Path configDir;

  @Option(names = "--event-loops", paramLabel = "N", description = "event loop threads (default: one per available processor)")
  Integer eventLoops;

  @Option(names = "--demo", hidden = true, description = "print the demo's curl commands once serving")
  boolean demo;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(configDir)) {
      System.err.println("sluice serve: --config-dir " + configDir + " is not a directory");
      return 1;
    }
    if (eventLoops != null && eventLoops < 1) {
      System.err.println("sluice serve: --event-loops must be at least 1, got " + eventLoops);
      return Main.USAGE;
    }
    int loops = eventLoops != null ? eventLoops : Runtime.getRuntime().availableProcessors();
    Gateway gateway = Gateway.start(loops);
    // Watch before the first load: a change made while loading is then seen, not lost.
    ConfigDirectoryWatcher watcher;
    ConfigSet initial;
    try {
      watcher = new ConfigDirectoryWatcher(configDir, set -> apply(gateway, set));
      try {
        initial = ConfigLoader.loadDirectory(configDir);
        gateway.apply(initial);
      } catch (ConfigException e) {
        for (ConfigError err : e.errors()) System.err.println(err);
        System.err.println("sluice serve: " + configDir + " has " + e.errors().size() + " error(s); not starting");
        watcher.close();
        gateway.close();
        return 1;
      } catch (IllegalStateException e) {
        System.err.println("sluice serve: " + e.getMessage());
        watcher.close();
        gateway.close();
        return 1;
      } catch (IOException | UncheckedIOException e) {
        System.err.println("sluice serve: cannot read " + configDir + ": " + e.getMessage());
        watcher.close();
        gateway.close();
        return 1;
      }
    } catch (IOException | RuntimeException e) {
      gateway.close();
      throw e;
    }

    CountDownLatch stopRequested = new CountDownLatch(1);
    Runnable shutdown = once(() -> {
      log.info("shutting down: draining in-flight requests");
      watcher.close();
      gateway.close();
      log.info("stopped");
    });
    // SIGTERM (kill, systemd, Kubernetes) and SIGINT (Ctrl-C) stop the server gracefully and the
    // process exits 0: stopping on request is a success, not a crash. Any other way the JVM is
    // asked to exit (SIGHUP, ...) still drains through the shutdown hook.
    onSignal("TERM", stopRequested);
    onSignal("INT", stopRequested);
    Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "sluice-shutdown"));
    watcher.start();
    log.info("serving {} ({} event loop(s), {} transport)", configDir, loops, Gateway.transport());
    for (ConfigObject<ListenerSpec> l : initial.listeners()) {
      log.info("listener {} on http://{}", l.name(), l.spec().address());
    }
    if (demo) printDemo(initial, configDir);
    stopRequested.await();
    shutdown.run();
    return 0;
  }

  /** Runs {@code r} the first time only; later callers wait until that first run has finished. */
  private static Runnable once(Runnable r) {
    AtomicBoolean done = new AtomicBoolean();
    return () -> {
      synchronized (done) {
        if (done.compareAndSet(false, true)) r.run();
      }
    };
  }

  /**
   * Turns a signal into a stop request. A second one while draining ends the process at once, as
   * operators expect of a second Ctrl-C.
   */
  private static void onSignal(String name, CountDownLatch stopRequested) {
    try {
      Signal.handle(new Signal(name), sig -> {
        if (stopRequested.getCount() == 0) {
          System.err.println("sluice: SIG" + name + " again while draining; exiting now");
          Runtime.getRuntime().halt(1);
        }
        stopRequested.countDown();
      });
    } catch (IllegalArgumentException e) {
      // This platform does not have the signal (or the JVM reserves it): the shutdown hook drains.
      log.debug("cannot handle SIG{}: {}", name, e.getMessage());
    }
  }

  private static void apply(Gateway gateway, ConfigSet set) {
    try {
      gateway.apply(set);
      log.info("applied config: {} listeners, {} routes, {} upstreams",
          set.listeners().size(), set.routes().size(), set.upstreams().size());
    } catch (IllegalStateException e) {
      log.error("config not applied, the previous one keeps serving: {}", e.getMessage());
    }
  }

  private static void printDemo(ConfigSet set, Path configDir) {
    String addr = set.listeners().stream().filter(l -> l.name().equals("demo")).findFirst()
        .map(l -> l.spec().address()).orElse("127.0.0.1:8080");
    System.out.println();
    System.out.println("Sluice is serving the demo on http://" + addr + " - try:");
    System.out.println("  curl -i http://" + addr + "/                      # a direct response from the gateway");
    System.out.println("  curl -i http://" + addr + "/echo/hello?x=1        # proxied to the built-in echo upstream");
    System.out.println("  curl -i -H 'X-Canary: 1' http://" + addr + "/echo  # header match: the canary route");
    System.out.println("  curl -i http://" + addr + "/nowhere               # no route: 404 with a JSON reason");
    System.out.println("Edit " + displayPath(configDir) + "/*.yaml while it runs: valid changes apply at once. Ctrl-C stops it.");
    System.out.println();
    System.out.flush();
  }

  /** {@code dir} relative to the working directory when it is below it ({@code examples/demo}), else as given. */
  private static String displayPath(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    Path cwd = Path.of("").toAbsolutePath();
    return abs.startsWith(cwd) && !abs.equals(cwd) ? cwd.relativize(abs).toString() : dir.toString();
  }
}
