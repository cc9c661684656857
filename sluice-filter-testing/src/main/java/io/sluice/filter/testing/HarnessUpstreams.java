package io.sluice.filter.testing;

import io.sluice.filter.UpstreamCall;
import io.sluice.filter.UpstreamCallException;
import io.sluice.filter.UpstreamCalls;
import io.sluice.filter.UpstreamReply;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The harness's {@link UpstreamCalls}: in-memory Upstreams, each a function from the call to its
 * reply (throwing an {@link UpstreamCallException} stands for a failure), run on the harness's
 * loop as the gateway completes calls on the exchange's loop. A call to an Upstream the builder
 * did not name fails with {@link UpstreamCallException.Failure#UNKNOWN_UPSTREAM}, as a factory
 * that forgot to declare its reference would in the gateway. Thread-safe.
 */
final class HarnessUpstreams implements UpstreamCalls {
  private final Map<String, Function<UpstreamCall, UpstreamReply>> upstreams;
  private final Executor loop;
  private final List<UpstreamCall> calls = new CopyOnWriteArrayList<>();

  HarnessUpstreams(Map<String, Function<UpstreamCall, UpstreamReply>> upstreams, Executor loop) {
    this.upstreams = Map.copyOf(upstreams);
    this.loop = loop;
  }

  @Override
  public CompletionStage<UpstreamReply> call(UpstreamCall call) {
    calls.add(call);
    CompletableFuture<UpstreamReply> reply = new CompletableFuture<>();
    Function<UpstreamCall, UpstreamReply> u = upstreams.get(call.upstream());
    loop.execute(() -> {
      if (u == null) {
        reply.completeExceptionally(new UpstreamCallException(UpstreamCallException.Failure.UNKNOWN_UPSTREAM,
            "no Upstream named " + call.upstream() + " (the harness has " + upstreams.keySet() + ")"));
        return;
      }
      try {
        UpstreamReply r = u.apply(call);
        if (r == null) throw new IllegalStateException("the fake Upstream " + call.upstream() + " returned null for " + call);
        if (r.body().length > call.maxResponseBody()) {
          throw new UpstreamCallException(UpstreamCallException.Failure.BODY_TOO_LARGE, "the response body of " + call
              + " is " + r.body().length + " bytes, more than its limit of " + call.maxResponseBody());
        }
        reply.complete(r);
      } catch (RuntimeException e) {
        reply.completeExceptionally(e);
      }
    });
    return reply;
  }

  /** The calls made so far, in order. */
  List<UpstreamCall> calls() {
    return List.copyOf(calls);
  }
}
