package io.sluice.filters.aggregate;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.sluice.api.ByteSize;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code aggregate} filter's config.
 *
 * @param calls the calls to make, at once; at least one, names unique
 * @param merge {@code keyed} (default): one field per call, named after it; {@code deep}: the
 *     calls' JSON objects deep-merged in call order (a later call's value wins, objects merge)
 * @param failOnError true (default): any failed call answers 502 {@code aggregate_failed} naming
 *     it; false: a failed call's field is {@code null} ({@code keyed}) or left out ({@code deep}),
 *     and an {@code errors} object says why, by call name
 * @param pathPattern a regular expression the request path must match (else 404); its named groups
 *     ({@code (?<id>[^/]+)}) can be used in call paths as {@code {id}}
 * @param forwardHeaders request headers copied to every call (e.g. Authorization)
 * @param maxResponseSize the largest body a call may return (default 1MiB); more fails the call
 */
public record AggregateConfig(
    List<Call> calls, Merge merge, Boolean failOnError, @Nullable String pathPattern, List<String> forwardHeaders,
    ByteSize maxResponseSize) {
  public AggregateConfig {
    calls = calls == null ? List.of() : List.copyOf(calls);
    merge = merge == null ? Merge.KEYED : merge;
    failOnError = failOnError == null || failOnError;
    forwardHeaders = forwardHeaders == null ? List.of() : List.copyOf(forwardHeaders);
    maxResponseSize = maxResponseSize == null ? ByteSize.ofMiB(1) : maxResponseSize;
  }

  /**
   * One call: a request to an Upstream whose JSON response becomes part of the answer. It succeeds
   * with a 2xx status and a JSON body (an empty body counts as {@code null}).
   *
   * @param name the call's name: its field with {@code merge: keyed}, and how errors name it; required
   * @param upstream the Upstream called (an endpoint picked at random by weight); required
   * @param method the method (default GET); calls carry no body
   * @param path the path and query to call, a template: {@code {path}} (the request's path),
   *     {@code {query}} (its raw query), {@code {query.NAME}}, {@code {header.NAME}} (percent-encoded
   *     values, empty when absent), {@code {method}}, and the named groups of {@code pathPattern};
   *     required, starts with {@code /} or {@code {path}}
   * @param headers more headers for this call
   * @param timeout the most the call may take, connecting and reading its whole response included
   *     (default 5s)
   */
  public record Call(
      @Nullable String name, @Nullable String upstream, String method, @Nullable String path, Map<String, String> headers,
      Duration timeout) {
    public Call {
      method = method == null ? "GET" : method;
      headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
      timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
    }
  }

  /** How the results are combined. */
  public enum Merge {
    KEYED("keyed"),
    DEEP("deep");

    private final String configName;

    Merge(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static Merge fromConfigName(String name) {
      for (Merge m : values()) {
        if (m.configName.equals(name)) return m;
      }
      throw new IllegalArgumentException("expected keyed or deep, got '" + name + "'");
    }
  }
}
