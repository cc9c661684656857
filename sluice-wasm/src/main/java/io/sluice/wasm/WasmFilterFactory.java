package io.sluice.wasm;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.wasm.internal.ModuleDownloads;
import io.sluice.wasm.internal.PluginFailure;
import io.sluice.wasm.internal.PluginMetrics;
import io.sluice.wasm.internal.PluginModule;
import io.sluice.wasm.internal.PluginSettings;
import io.sluice.wasm.internal.PluginVm;
import io.sluice.wasm.internal.SharedData;
import io.sluice.wasm.internal.VmSlots;
import io.sluice.wasm.internal.WasmFilter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import java.util.Set;

/**
 * {@code wasm}: runs a proxy-wasm plugin (ABI 0.2.0/0.2.1, as Envoy hosts it) on the request and
 * the response: header edits both ways, local replies, the response body; see docs/filters.md,
 * "wasm plugins", for the functions and properties a plugin can use.
 *
 * <pre>{@code
 * - kind: wasm
 *   config:
 *     file: /etc/sluice/wasm/auth.wasm
 *     sha256: 3b0c...e1
 *     rootId: auth
 *     configuration: '{"header": "x-token"}'
 *     failurePolicy: closed
 *     cpuBudget: 50ms
 * }</pre>
 *
 * <p>The module is read, checked against {@code sha256}, parsed and started once when the config
 * is validated (a module that does not load, imports a function Sluice does not provide, or whose
 * {@code proxy_on_configure} refuses the configuration is refused there) and again, off the event
 * loops, when it is applied. Each event loop then runs its own instance of the plugin: no locks on
 * the request path. A changed {@code sha256} (or any other field) is a new filter: new requests get
 * the new module, requests in flight finish on the old one.
 */
public final class WasmFilterFactory implements FilterFactory<WasmConfig> {
  private static final Duration MAX_CPU_BUDGET = Duration.ofSeconds(10);
  private static final long MAX_MEMORY = 256L << 20;

  @Override
  public String kind() {
    return "wasm";
  }

  @Override
  public Class<WasmConfig> configType() {
    return WasmConfig.class;
  }

  @Override
  public void validate(WasmConfig c, Problems problems) {
    boolean sound = true;
    boolean hasFile = c.file() != null && !c.file().isBlank();
    String url = c.url();
    boolean hasUrl = url != null && !url.isBlank();
    if (hasFile == hasUrl) {
      problems.add(hasFile ? "url" : "file", hasFile ? "set with file; expected one of file and url"
          : "missing; expected the path of a .wasm module (file) or its http(s) URL (url)");
      sound = false;
    } else if (url != null && hasUrl && url(url) == null) {
      problems.add("url", "'" + url + "' is not an absolute http or https URL");
      sound = false;
    }
    if (c.sha256() == null || !isSha256(c.sha256())) {
      problems.add("sha256", (c.sha256() == null ? "missing" : "'" + c.sha256() + "' is not a SHA-256")
          + "; expected 64 hex digits, as sha256sum prints them");
      sound = false;
    }
    if (c.cpuBudget().compareTo(Duration.ofMillis(1)) < 0 || c.cpuBudget().compareTo(MAX_CPU_BUDGET) > 0) {
      problems.add("cpuBudget", c.cpuBudget() + " is out of range; expected 1ms to 10s");
      sound = false;
    }
    if (c.maxMemory().bytes() < 64 * 1024 || c.maxMemory().bytes() > MAX_MEMORY) {
      problems.add("maxMemory", c.maxMemory().bytes() + " bytes is out of range; expected 64KiB to 256MiB");
      sound = false;
    }
    sound &= bodyLimit("responseBody", c.responseBody().bytes(), problems);
    sound &= bodyLimit("requestBody", c.requestBody().bytes(), problems);
    sound &= bodyLimit("streamRequestBody", c.streamRequestBody().bytes(), problems);
    sound &= bodyLimit("streamResponseBody", c.streamResponseBody().bytes(), problems);
    if (c.requestBody().bytes() > 0 && c.streamRequestBody().bytes() > 0) {
      problems.add("streamRequestBody", "set with requestBody; expected one of them: the plugin reads the request body buffered or streamed");
      sound = false;
    }
    if (c.responseBody().bytes() > 0 && c.streamResponseBody().bytes() > 0) {
      problems.add("streamResponseBody", "set with responseBody; expected one of them: the plugin reads the response body buffered or streamed");
      sound = false;
    }
    for (int i = 0; i < c.upstreams().size(); i++) {
      if (c.upstreams().get(i) == null || c.upstreams().get(i).isEmpty()) {
        problems.add("upstreams[" + i + "]", "empty; expected the name of an Upstream");
        sound = false;
      }
    }
    if (!sound) return;
    try {
      // Starting one VM runs the plugin's own configuration check (proxy_on_configure).
      PluginVm.start(settings(c, "validation", new SharedData(), new PluginMetrics(null))).close();
    } catch (ModuleDownloads.WrongDigest e) {
      problems.add("sha256", String.valueOf(e.getMessage()));
    } catch (IllegalArgumentException e) {
      problems.add(hasFile ? "file" : "url", String.valueOf(e.getMessage()));
    } catch (PluginFailure e) {
      problems.add("configuration", String.valueOf(e.getMessage()));
    }
  }

  /** {@code text} as an absolute http(s) URL with a host, or null. */
  private static @Nullable URI url(String text) {
    try {
      URI u = new URI(text);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
      return (scheme.equals("http") || scheme.equals("https")) && u.getHost() != null ? u : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static boolean bodyLimit(String field, long bytes, Problems problems) {
    if (bytes >= 0 && bytes <= Integer.MAX_VALUE - 8) return true;
    problems.add(field, bytes + " bytes is out of range; expected 0 to 2GiB");
    return false;
  }

  /** The Upstreams the plugin calls: they must exist and cannot be deleted while it names them. */
  @Override
  public List<Reference> references(WasmConfig c) {
    List<Reference> refs = new ArrayList<>();
    for (int i = 0; i < c.upstreams().size(); i++) {
      refs.add(new Reference("upstreams[" + i + "]", new ObjectRef(Kind.UPSTREAM, c.upstreams().get(i))));
    }
    return refs;
  }

  private static boolean isSha256(String s) {
    if (s.length() != 64) return false;
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), 16) < 0) return false;
    }
    return true;
  }

  private static PluginSettings settings(WasmConfig c, String place, SharedData sharedData, PluginMetrics metrics) {
    String sha256 = Objects.requireNonNull(c.sha256());
    PluginModule module = c.file() != null && !c.file().isBlank()
        ? PluginModule.load(Path.of(c.file()), sha256)
        : PluginModule.parse(Objects.requireNonNull(c.url()), ModuleDownloads.get(Objects.requireNonNull(url(Objects.requireNonNull(c.url()))), sha256), sha256);
    return new PluginSettings(module, c.rootId(), c.configuration(), c.vmConfiguration(),
        c.cpuBudget().toNanos(), c.maxMemory().bytes(), place, sharedData, metrics, Set.copyOf(c.upstreams()));
  }

  @Override
  public Filter create(WasmConfig c, FilterEnvironment env) {
    // Shared data outlives configuration changes of this filter, as a proxy-wasm VM's does in Envoy.
    PluginSettings settings = settings(c, env.owner() + " " + env.field(), env.shared("shared-data", SharedData::new),
        new PluginMetrics(env.metrics()));
    // One VM per core is started now, off the loops; each loop claims one on its first request.
    VmSlots vms = VmSlots.prepare(settings, Runtime.getRuntime().availableProcessors(), env.blockingExecutor());
    return new WasmFilter(vms, settings, c.failurePolicy() == WasmConfig.FailurePolicy.OPEN,
        new WasmFilter.Bodies(c.requestBody().bytes(), c.responseBody().bytes(), c.streamRequestBody().bytes(), c.streamResponseBody().bytes()));
  }
}
