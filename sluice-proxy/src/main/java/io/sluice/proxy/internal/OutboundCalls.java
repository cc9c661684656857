package io.sluice.proxy.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.sluice.filter.UpstreamCall;
import io.sluice.filter.UpstreamCallException;
import io.sluice.filter.UpstreamCalls;
import io.sluice.filter.UpstreamReply;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The filters' {@link UpstreamCalls} on one client connection's event loop: each call looks its
 * Upstream up in the running snapshot and runs as an {@link OutboundCall} on the loop's pools.
 * One per connection that makes calls, created at its first.
 *
 * <p>Threading: meant for the loop; a call made from another thread is moved onto it.
 */
final class OutboundCalls implements UpstreamCalls {
  private final ListenerRuntime listener;
  private final EventLoop loop;
  private final ByteBufAllocator alloc;
  private final Supplier<String> clientIp;

  /** @param clientIp the address of the client whose exchange makes the call (for hash balancers) */
  OutboundCalls(ListenerRuntime listener, EventLoop loop, ByteBufAllocator alloc, Supplier<String> clientIp) {
    this.listener = listener;
    this.loop = loop;
    this.alloc = alloc;
    this.clientIp = clientIp;
  }

  @Override
  public CompletionStage<UpstreamReply> call(UpstreamCall call) {
    Objects.requireNonNull(call, "call");
    UpstreamRuntime u = listener.upstream(call.upstream());
    if (u == null) {
      CompletableFuture<UpstreamReply> f = new CompletableFuture<>();
      UpstreamCallException e = new UpstreamCallException(UpstreamCallException.Failure.UNKNOWN_UPSTREAM,
          "no Upstream named " + call.upstream() + " in the running configuration (a filter calls only the Upstreams its"
              + " factory declares in references())");
      loop.execute(() -> f.completeExceptionally(e));
      return f;
    }
    OutboundCall c = new OutboundCall(call, u, loop, alloc, listener.unexpectedErrors(), loop.inEventLoop() ? clientIp.get() : "");
    if (loop.inEventLoop()) {
      c.start();
    } else {
      loop.execute(c::start);
    }
    return c.result();
  }
}
