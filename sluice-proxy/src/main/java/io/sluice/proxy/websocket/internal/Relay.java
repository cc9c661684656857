package io.sluice.proxy.websocket.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * One side of a tunnel: the handler put in front of the connection's HTTP handler after the 101.
 * Everything that side reads goes to the other side's socket; nothing reaches the HTTP handler
 * behind it except the connection closing ({@code channelInactive}), so that the HTTP handler does
 * its own clean-up (connection counts, its exchange) as for any connection.
 *
 * <p>Back-pressure as on the HTTP path: reading from this side stops while the other side's socket
 * is not writable (its outbound buffer over the high water mark), and starts again when it is, so a
 * slow reader holds at most a water mark of bytes in the gateway, plus one read.
 *
 * <p>Threading: the tunnel's event loop (both connections are on it).
 */
final class Relay extends ChannelInboundHandlerAdapter {
  final Tunnel tunnel;
  final boolean client;
  /** The frames read from this side (going to the other). */
  final FrameTracker frames = new FrameTracker();
  @SuppressWarnings("NullAway.Init") // set by Tunnel right after construction
  Relay peer;
  @SuppressWarnings("NullAway.Init") // set in handlerAdded, before any event
  ChannelHandlerContext ctx;
  @SuppressWarnings("NullAway.Init")
  Channel channel;
  long bytesRead;
  boolean flushPeer;
  /** Reading is off because the other side's socket is full. */
  boolean pausedByPeer;
  /** The gateway sent this side a close frame of its own. */
  boolean closeSent;
  /** {@link FrameTracker#closeFrames()} when the gateway started closing: a later one is this side's answer. */
  int closeFramesAtGoAway;
  boolean inactive;

  Relay(Tunnel tunnel, boolean client) {
    this.tunnel = tunnel;
    this.client = client;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      tunnel.read(this, b);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (flushPeer) {
      flushPeer = false;
      peer.ctx.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (channel.isWritable()) peer.resume();
  }

  /** Stops reading from this side until the other side's socket drains. */
  void pause() {
    if (!pausedByPeer) {
      pausedByPeer = true;
      channel.config().setAutoRead(false);
    }
  }

  void resume() {
    if (pausedByPeer) {
      pausedByPeer = false;
      channel.config().setAutoRead(true);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    // A FIN: a WebSocket connection is not half-closed (RFC 6455 §7.1.1), so the side is done.
    // Other events are the HTTP handler's business, which is over.
    if (evt instanceof ChannelInputShutdownEvent) channel.close();
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets and broken pipes: the side is gone. The tunnel ends when the channel is inactive.
    channel.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    tunnel.sideClosed(this);
    ctx.fireChannelInactive();
  }
}
