package io.sluice.wasm;

import io.sluice.api.ConfigObject;
import io.sluice.api.ConfigSet;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.ReferencedObjects;
import io.sluice.api.secret.SecretData;
import io.sluice.api.secret.SecretSpec;
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
 * <p>The module comes from a file, a URL ({@code url}) or a Secret's key ({@code secret: {name:
 * plugins, key: auth.wasm}}, read from the configuration: {@link #validateReferenced} checks it).
 * It is read, checked against {@code sha256}, parsed and started once when the config
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
    boolean hasSecret = c.secret() != null;
    if (!hasFile && !hasUrl && !hasSecret) {
      problems.add("file", "missing; expected the path of a .wasm module (file), its http(s) URL (url), or a Secret's key"
          + " (secret: {name, key})");
      sound = false;
    } else if (hasFile && hasUrl || (hasFile || hasUrl) && hasSecret) {
      String second = hasFile && hasUrl ? "url" : "secret";
      problems.add(second, "set with " + (hasFile ? "file" : "url") + "; expected one of file, url and secret");
      sound = false;
    } else if (url != null && hasUrl && url(url) == null) {
      problems.add("url", "'" + url + "' is not an absolute http or https URL");
      sound = false;
    }
    WasmConfig.ModuleSecret secret = c.secret();
    if (secret != null) sound &= secretFields(secret, problems);
    if (c.sha256() == null ? !hasSecret : !isSha256(c.sha256())) {
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
    // A Secret's module is checked against the Secret, in validateReferenced.
    if (!sound || hasSecret) return;
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

  private static boolean secretFields(WasmConfig.ModuleSecret secret, Problems problems) {
    boolean sound = true;
    if (secret.name() == null || secret.name().isEmpty()) {
      problems.add("secret.name", "missing; expected the name of a Secret");
      sound = false;
    }
    if (secret.key() == null || secret.key().isEmpty()) {
      problems.add("secret.key", "missing; expected a key of the Secret's data, such as plugin.wasm");
      sound = false;
    }
    return sound;
  }

  /**
   * Loads the module from the Secret's key and starts one VM, as {@link #validate} does for a file
   * or URL: the key is there, its bytes match {@code sha256} when given, and they are a proxy-wasm
   * module whose {@code proxy_on_configure} accepts the configuration.
   */
  @Override
  public void validateReferenced(WasmConfig c, ReferencedObjects objects, Problems problems) {
    WasmConfig.ModuleSecret secret = c.secret();
    if (secret == null) return;
    ConfigObject<?> o = objects.get(new ObjectRef(Kind.SECRET, Objects.requireNonNull(secret.name())));
    if (o == null) return; // not readable: its own errors are reported
    byte[] bytes;
    try {
      bytes = secretBytes((SecretSpec) o.spec(), secret);
    } catch (IllegalArgumentException e) {
      problems.add("secret.key", String.valueOf(e.getMessage()));
      return;
    } catch (SecretValueNotBase64 e) {
      return; // the Secret's own error says which key is not base64
    }
    String actual = PluginModule.sha256(bytes);
    if (c.sha256() != null && !actual.equalsIgnoreCase(c.sha256())) {
      problems.add("sha256", origin(secret) + " has SHA-256 " + actual + "; expected " + c.sha256().toLowerCase(java.util.Locale.ROOT)
          + " (update sha256 when the module changes, or leave it out)");
      return;
    }
    try {
      PluginModule module = PluginModule.parse(origin(secret), bytes, actual);
      PluginVm.start(settings(c, module, "validation", new SharedData(), new PluginMetrics(null))).close();
    } catch (IllegalArgumentException e) {
      problems.add("secret.key", String.valueOf(e.getMessage()));
    } catch (PluginFailure e) {
      problems.add("configuration", String.valueOf(e.getMessage()));
    }
  }

  /** Thrown by {@link #secretBytes} when the key's value is not base64, which the Secret's validation reports. */
  private static final class SecretValueNotBase64 extends Exception {
    SecretValueNotBase64(IllegalArgumentException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /**
   * The module bytes of {@code secret}'s key.
   *
   * @throws IllegalArgumentException naming the Secret and key when the key is not in its data
   */
  private static byte[] secretBytes(SecretSpec spec, WasmConfig.ModuleSecret secret) throws SecretValueNotBase64 {
    String key = Objects.requireNonNull(secret.key());
    byte[] bytes;
    try {
      bytes = SecretData.bytes(spec, key);
    } catch (IllegalArgumentException e) {
      throw new SecretValueNotBase64(e);
    }
    if (bytes == null) {
      throw new IllegalArgumentException("Secret '" + secret.name() + "' has no key '" + key + "' in spec.data; expected "
          + (spec.data().isEmpty() ? "a Secret with data: {" + key + ": <the module in base64>}" : "one of " + String.join(", ", spec.data().keySet())));
    }
    return bytes;
  }

  private static String origin(WasmConfig.ModuleSecret secret) {
    return "Secret '" + secret.name() + "' key '" + secret.key() + "'";
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

  /**
   * The Secret the module is read from and the Upstreams the plugin calls: they must exist and
   * cannot be deleted while it names them.
   */
  @Override
  public List<Reference> references(WasmConfig c) {
    List<Reference> refs = new ArrayList<>();
    WasmConfig.ModuleSecret secret = c.secret();
    if (secret != null && secret.name() != null) refs.add(new Reference("secret.name", new ObjectRef(Kind.SECRET, secret.name())));
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

  /** The settings of a module from a file or a URL. */
  private static PluginSettings settings(WasmConfig c, String place, SharedData sharedData, PluginMetrics metrics) {
    String sha256 = Objects.requireNonNull(c.sha256());
    PluginModule module = c.file() != null && !c.file().isBlank()
        ? PluginModule.load(Path.of(c.file()), sha256)
        : PluginModule.parse(Objects.requireNonNull(c.url()), ModuleDownloads.get(Objects.requireNonNull(url(Objects.requireNonNull(c.url()))), sha256), sha256);
    return settings(c, module, place, sharedData, metrics);
  }

  /**
   * The settings of a module from a Secret of the configuration being applied.
   *
   * @throws IllegalArgumentException when the Secret, its key or its module is not what validation accepted
   */
  private static PluginSettings secretSettings(WasmConfig c, WasmConfig.ModuleSecret secret, ConfigSet config, String place,
      SharedData sharedData, PluginMetrics metrics) {
    ConfigObject<?> o = config.get(new ObjectRef(Kind.SECRET, Objects.requireNonNull(secret.name())));
    if (o == null) throw new IllegalArgumentException("secret.name: Secret '" + secret.name() + "' does not exist");
    byte[] bytes;
    try {
      bytes = secretBytes((SecretSpec) o.spec(), secret);
    } catch (SecretValueNotBase64 e) {
      throw new IllegalArgumentException(origin(secret) + " is not base64: " + e.getMessage(), e);
    }
    String expected = c.sha256() != null ? c.sha256() : PluginModule.sha256(bytes);
    return settings(c, PluginModule.parse(origin(secret), bytes, expected), place, sharedData, metrics);
  }

  private static PluginSettings settings(WasmConfig c, PluginModule module, String place, SharedData sharedData, PluginMetrics metrics) {
    return new PluginSettings(module, c.rootId(), c.configuration(), c.vmConfiguration(),
        c.cpuBudget().toNanos(), c.maxMemory().bytes(), place, sharedData, metrics, Set.copyOf(c.upstreams()));
  }

  @Override
  public Filter create(WasmConfig c, FilterEnvironment env) {
    // Shared data outlives configuration changes of this filter, as a proxy-wasm VM's does in Envoy.
    String place = env.owner() + " " + env.field();
    SharedData sharedData = env.shared("shared-data", SharedData::new);
    WasmConfig.ModuleSecret secret = c.secret();
    // A Secret's module is read from the configuration being applied: a changed Secret applies
    // every filter again, so new requests get the new module.
    PluginSettings settings = secret != null
        ? secretSettings(c, secret, env.config(), place, sharedData, new PluginMetrics(env.metrics()))
        : settings(c, place, sharedData, new PluginMetrics(env.metrics()));
    // One VM per core is started now, off the loops; each loop claims one on its first request.
    VmSlots vms = VmSlots.prepare(settings, Runtime.getRuntime().availableProcessors(), env.blockingExecutor());
    return new WasmFilter(vms, settings, c.failurePolicy() == WasmConfig.FailurePolicy.OPEN,
        new WasmFilter.Bodies(c.requestBody().bytes(), c.responseBody().bytes(), c.streamRequestBody().bytes(), c.streamResponseBody().bytes()));
  }
}
