package io.sluice.api.function;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP function (FaaS, Knative-style): an Upstream that serves it and the request that invokes
 * it. Routes call it with the {@code function} filter, which sends the request (or a CloudEvents
 * envelope of it) and uses the answer as the response or as edits to the request. The call goes
 * through the data plane to the Upstream, so its timeouts, retries, breakers and health checks
 * apply.
 *
 * <pre>{@code
 * spec:
 *   upstream: thumbnails
 *   path: /invoke
 *   method: POST
 *   timeout: 5s
 * }</pre>
 *
 * @param upstream the Upstream that serves the function; required
 * @param path the path the function is invoked at, starting with {@code /}; default the request's
 *     own path in {@code mode: request}, and {@code /} in {@code mode: event}
 * @param method the method it is invoked with; default the request's own in {@code mode: request},
 *     and {@code POST} in {@code mode: event}
 * @param timeout a deadline for the whole call, over the Upstream's attempts; default none (the
 *     Upstream's {@code timeouts.response} per attempt still applies)
 */
public record FunctionSpec(@Nullable String upstream, @Nullable String path, @Nullable String method,
    @Nullable Duration timeout) implements Spec {

  /** The Upstream it names, which cannot be deleted while the Function exists. */
  @Override
  public List<ObjectRef> references() {
    return upstream == null ? List.of() : List.of(new ObjectRef(Kind.UPSTREAM, upstream));
  }
}
