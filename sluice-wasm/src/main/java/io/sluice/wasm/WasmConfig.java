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
 * @param file the module: a {@code .wasm} file (a regular file, not a link); exactly one of
 *     {@code file}, {@code url} and {@code secret}
 * @param url the module: an {@code http} or {@code https} URL, fetched when the configuration is
 *     validated and applied (10 s, 64 MiB at most, no redirects) and cached by its SHA-256 in the
 *     data directory ({@code <data-dir>/wasm-cache}), so a restart without network still starts;
 *     instead of {@code file}
 * @param secret the module: the bytes of a key of a Secret's {@code data} ({@code {name: plugins,
 *     key: auth.wasm}}), instead of {@code file}; the Secret must exist, have the key and the key
 *     a loadable module, and cannot be deleted while the filter names it. Changing the Secret's
 *     bytes changes the module: new requests get it, requests in flight finish on the old one
 * @param sha256 the module's SHA-256 as 64 hex digits; required with {@code file} and {@code url},
 *     optional with {@code secret} (then the Secret's bytes must match it): the module is run only
 *     if it matches, and a changed hash is a changed module (new requests get it, requests in flight
 *     finish on the old one)
 * @param rootId the root id the plugin registered its root context under (the AssemblyScript SDK's
 *     {@code registerRootContext(..., "name")}); default empty
 * @param configuration the plugin configuration the plugin reads in {@code on_configure}; default empty
 * @param vmConfiguration the VM configuration the plugin reads in {@code on_vm_start}; default empty
 * @param failurePolicy what a request gets when the plugin fails (a trap, out of memory, over its
 *     CPU budget): {@code closed} (default) answers 500 {@code wasm_failure}, {@code open} lets the
 *     request go on as if the plugin were not there
 * @param cpuBudget the most CPU time one call into the plugin may use on an event loop before it
 *     is stopped and the request fails (the thread's CPU time, not wall time: a loop the OS does not
 *     run uses none of it; stopped within 1 ms past it); default 50ms, 1ms to 10s
 * @param maxMemory the most linear memory one instance of the plugin may grow to; default 16MiB,
 *     at most 256MiB
 * @param responseBody the largest upstream response body the plugin's {@code on_response_body}
 *     reads (buffered: called once, with the whole body); default 0, the plugin sees no response
 *     body and the body streams through untouched. Not with {@code streamResponseBody}
 * @param requestBody the largest request body the plugin's {@code on_request_body} reads buffered
 *     (called once, with the whole body, after {@code on_request_headers}); a bigger body gets 413;
 *     default 0, the plugin sees no request body. Not with {@code streamRequestBody}
 * @param streamRequestBody streams the request body through the plugin: {@code on_request_body}
 *     gets each piece as it arrives (end_of_stream false, then true at the end) and may rewrite it,
 *     or return StopIterationAndBuffer to get it again with the next piece; the value is the most
 *     the plugin may hold that way (past it: 413); default 0, no streaming
 * @param streamResponseBody streams the upstream's response body through the plugin's
 *     {@code on_response_body} the same way; past the limit: 502 (or the connection closes once the
 *     response started); default 0, no streaming
 * @param upstreams the Upstreams the plugin may call with {@code proxy_http_call} (its "cluster" is
 *     an Upstream's name); each must exist, and cannot be deleted while the filter names it. A call
 *     to another name is refused ({@code BadArgument}); default none
 */
public record WasmConfig(
    @Nullable String file,
    @Nullable String url,
    @Nullable ModuleSecret secret,
    @Nullable String sha256,
    String rootId,
    String configuration,
    String vmConfiguration,
    FailurePolicy failurePolicy,
    Duration cpuBudget,
    ByteSize maxMemory,
    ByteSize responseBody,
    ByteSize requestBody,
    ByteSize streamRequestBody,
    ByteSize streamResponseBody,
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
    requestBody = requestBody == null ? new ByteSize(0) : requestBody;
    streamRequestBody = streamRequestBody == null ? new ByteSize(0) : streamRequestBody;
    streamResponseBody = streamResponseBody == null ? new ByteSize(0) : streamResponseBody;
  }

  /**
   * Where in a Secret the module is.
   *
   * @param name the Secret's name
   * @param key the key of its {@code data} whose (base64) value is the {@code .wasm} module
   */
  public record ModuleSecret(@Nullable String name, @Nullable String key) {}

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
