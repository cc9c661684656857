package io.sluice.server;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.ConfigLoader;
import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.listener.ListenerSpec;
import io.sluice.proxy.Gateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
    ConfigSet initial;
    try {
      initial = ConfigLoader.loadDirectory(configDir);
    } catch (ConfigException e) {
      for (ConfigError err : e.errors()) System.err.println(err);
      System.err.println("sluice serve: " + configDir + " has " + e.errors().size() + " error(s); not starting");
      return 1;
    }
    int loops = eventLoops != null ? eventLoops : Runtime.getRuntime().availableProcessors();
    Gateway gateway = Gateway.start(loops);
    try {
      gateway.apply(initial);
    } catch (IllegalStateException e) {
      System.err.println("sluice serve: " + e.getMessage());
      gateway.close();
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    ConfigDirectoryWatcher watcher = new ConfigDirectoryWatcher(configDir, set -> apply(gateway, set));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutting down: draining in-flight requests");
      watcher.close();
      gateway.close();
      stopped.countDown();
    }, "sluice-shutdown"));
    watcher.start();
    log.info("serving {} ({} event loop(s), {} transport)", configDir, loops, Gateway.transport());
    for (ConfigObject<ListenerSpec> l : initial.listeners()) {
      log.info("listener {} on http://{}", l.name(), l.spec().address());
    }
    if (demo) printDemo(initial);
    stopped.await();
    return 0;
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

  private static void printDemo(ConfigSet set) {
    String addr = set.listeners().stream().filter(l -> l.name().equals("demo")).findFirst()
        .map(l -> l.spec().address()).orElse("127.0.0.1:8080");
    System.out.println();
    System.out.println("Sluice is serving the demo on http://" + addr + " - try:");
    System.out.println("  curl -i http://" + addr + "/                      # a direct response from the gateway");
    System.out.println("  curl -i http://" + addr + "/echo/hello?x=1        # proxied to the built-in echo upstream");
    System.out.println("  curl -i -H 'X-Canary: 1' http://" + addr + "/echo  # header match: the canary route");
    System.out.println("  curl -i http://" + addr + "/nowhere               # no route: 404 with a JSON reason");
    System.out.println("Edit examples/demo/*.yaml while it runs: valid changes apply at once. Ctrl-C stops it.");
    System.out.println();
  }
}
