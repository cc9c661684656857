package io.sluice.proxy.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.jspecify.annotations.Nullable;

/**
 * One connection handed over to a tunnel after the 101: the context of the HTTP handler that served
 * it (the tunnel's relay goes in front of it, so that the handler sees only the connection closing)
 * and the bytes it had received past the HTTP head, which are the first of the tunnel.
 *
 * @param handler the HTTP connection handler's context
 * @param received bytes read after the head, owned by the receiver of this value; null for none
 */
public record TunnelSide(ChannelHandlerContext handler, @Nullable ByteBuf received) {}
