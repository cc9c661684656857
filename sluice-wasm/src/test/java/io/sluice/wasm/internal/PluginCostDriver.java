package io.sluice.wasm.internal;

import io.sluice.filter.Exchange;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * Not a test: a command-line measurement of what one plugin VM costs per request, without a
 * gateway, a harness or a second thread (docs/benchmarks.md, "Session 11"). On the calling thread it
 * makes a VM of the module, creates {@code open} HTTP contexts it leaves open (the requests in
 * flight on a loop), then per request calls {@code proxy_on_context_create},
 * {@code proxy_on_request_headers}, {@code proxy_on_response_headers} and the end
 * ({@code proxy_on_done}, {@code _log}, {@code _delete}) and prints the mean wall time of each, per
 * round. The exchange is a stand-in whose header edits do nothing. {@code -Dsluice.skipIds=N}
 * starts the context ids at N (a gateway's after N requests). Run it on one pinned core with
 * logging off:
 *
 * <pre>
 * taskset -c 1 java -Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider \
 *   -cp 'sluice-wasm/target/test-classes:sluice-wasm/target/classes:sluice-server/target/lib/*' \
 *   io.sluice.wasm.internal.PluginCostDriver sluice-wasm/src/test/wasm/setheader/setheader.wasm setheader 64 50000 8
 * </pre>
 */
public final class PluginCostDriver {
  private PluginCostDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: PluginCostDriver MODULE.wasm ROOT_ID OPEN_CONTEXTS REQUESTS_PER_ROUND ROUNDS");
      System.exit(2);
    }
    Path file = Path.of(args[0]);
    int open = Integer.parseInt(args[2]);
    int requests = Integer.parseInt(args[3]);
    int rounds = Integer.parseInt(args[4]);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    PluginSettings settings = new PluginSettings(PluginModule.load(file, sha), args[1], "", "", 1_000_000_000L, 64L << 20,
        "PluginCostDriver", new SharedData(), new PluginMetrics(null), Set.of());
    PluginVm vm = PluginVm.start(settings);
    Exchange x = (Exchange) standIn(Exchange.class);
    for (long i = Long.getLong("sluice.skipIds", 0); i > 0; i--) vm.newContextId();
    for (int i = 0; i < open; i++) vm.createHttpContext(new HttpContext(vm, vm.newContextId(), x));
    for (int r = 0; r < rounds; r++) {
      long create = 0, request = 0, response = 0, end = 0;
      for (int k = 0; k < requests; k++) {
        HttpContext c = new HttpContext(vm, vm.newContextId(), x);
        long t0 = System.nanoTime();
        vm.createHttpContext(c);
        long t1 = System.nanoTime();
        vm.onRequestHeaders(c, 3, true);
        long t2 = System.nanoTime();
        c.enterResponsePhase();
        vm.onResponseHeaders(c, 0, false);
        long t3 = System.nanoTime();
        vm.endHttpContext(c);
        long t4 = System.nanoTime();
        create += t1 - t0;
        request += t2 - t1;
        response += t3 - t2;
        end += t4 - t3;
      }
      System.out.printf("open %d, round %d: create %.2f, request headers %.2f, response headers %.2f, end %.2f, total %.2f µs/request%n",
          open, r, create / 1e3 / requests, request / 1e3 / requests, response / 1e3 / requests, end / 1e3 / requests,
          (create + request + response + end) / 1e3 / requests);
    }
  }

  /** An implementation of {@code type} whose methods do nothing and return zeros, empty strings or more stand-ins. */
  private static Object standIn(Class<?> type) {
    Map<Method, Object> children = new HashMap<>();
    return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, a) -> {
      Class<?> r = method.getReturnType();
      return switch (method.getName()) {
        case "hashCode" -> System.identityHashCode(proxy);
        case "equals" -> proxy == a[0];
        case "toString" -> "stand-in " + type.getSimpleName();
        default -> r == boolean.class ? Boolean.FALSE
            : r == int.class ? Integer.valueOf(0)
            : r == long.class ? Long.valueOf(0)
            : r == String.class ? ""
            : r.isInterface() ? children.computeIfAbsent(method, m -> standIn(r))
            : null;
      };
    });
  }
}
