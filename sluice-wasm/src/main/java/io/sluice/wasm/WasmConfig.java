package io.sluice.wasm;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.sluice.api.ByteSize;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code wasm} filter's config: a proxy-wasm plugin, where its module comes from, and how the
 * gateway bounds it.
 *
 * @param file the module: a {@code .wasm} file (a regular file, not a link); required
 * @param sha256 the module's SHA-256 as 64 hex digits; required: the file is run only if it matches,
 *     and a changed hash is a changed module (new requests get it, requests in flight finish on the old one)
 * @param rootId the root id the plugin registered its root context under (the AssemblyScript SDK's
 *     {@code registerRootContext(..., "name")}); default empty
 * @param configuration the plugin configuration the plugin reads in {@code on_configure}; default empty
 * @param vmConfiguration the VM configuration the plugin reads in {@code on_vm_start}; default empty
 * @param failurePolicy what a request gets when the plugin fails (a trap, out of memory, over its
 *     CPU budget): {@code closed} (default) answers 500 {@code wasm_failure}, {@code open} lets the
 *     request go on as if the plugin were not there
 * @param cpuBudget the longest one call into the plugin may run on an event loop before it is
 *     stopped and the request fails; default 50ms, 1ms to 10s
 * @param maxMemory the most linear memory one instance of the plugin may grow to; default 16MiB,
 *     at most 256MiB
 * @param responseBody the largest upstream response body the plugin's {@code on_response_body}
 *     reads (buffered: called once, with the whole body); default 0, the plugin sees no response
 *     body and the body streams through untouched
 * @param upstreams the Upstreams the plugin may call with {@code proxy_http_call} (its "cluster" is
 *     an Upstream's name); each must exist, and cannot be deleted while the filter names it. A call
 *     to another name is refused ({@code BadArgument}); default none
 */
public record WasmConfig(
    @Nullable String file,
    @Nullable String sha256,
    String rootId,
    String configuration,
    String vmConfiguration,
    FailurePolicy failurePolicy,
    Duration cpuBudget,
    ByteSize maxMemory,
    ByteSize responseBody,
    List<String> upstreams) {
  public WasmConfig {
    upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
    rootId = rootId == null ? "" : rootId;
    configuration = configuration == null ? "" : configuration;
    vmConfiguration = vmConfiguration == null ? "" : vmConfiguration;
    failurePolicy = failurePolicy == null ? FailurePolicy.CLOSED : failurePolicy;
    cpuBudget = cpuBudget == null ? Duration.ofMillis(50) : cpuBudget;
    maxMemory = maxMemory == null ? new ByteSize(16L << 20) : maxMemory;
    responseBody = responseBody == null ? new ByteSize(0) : responseBody;
  }

  /** What a request gets when its plugin fails. */
  public enum FailurePolicy {
    /** The request fails: 500 {@code wasm_failure}. */
    CLOSED("closed"),
    /** The request goes on without the plugin's effects from the failed call on. */
    OPEN("open");

    private final String configName;

    FailurePolicy(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static FailurePolicy fromConfigName(String name) {
      for (FailurePolicy p : values()) {
        if (p.configName.equals(name)) return p;
      }
      throw new IllegalArgumentException("expected closed or open, got '" + name + "'");
    }
  }
}
