package io.sluice.proxy.websocket.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.proxy.websocket.CloseCause;
import io.sluice.proxy.websocket.TunnelSettings;
import io.sluice.proxy.websocket.TunnelSide;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A WebSocket connection through the gateway after its 101: the client's and the upstream's
 * connections joined by two {@link Relay}s, bytes passed as they come (no frame decoding; a
 * {@link FrameTracker} per direction knows the frame boundaries). It ends when a side closes, or
 * when the gateway closes it: idle, past its lifetime, or drained (its route or listener removed,
 * or shutdown, after a grace period). The gateway closes with a close frame 1001 to each side whose
 * stream is at a frame boundary (else that side's TCP connection is closed), then waits up to
 * {@link #CLOSE_WAIT} for each side's close frame before closing its connection.
 *
 * <p>Threading: everything runs on the event loop both connections belong to (the upstream
 * connection was opened on the client connection's loop); {@link #drain} may be called from any thread.
 */
public final class Tunnel {
  /** How long the gateway waits for the sides' close frames after sending its own. */
  public static final Duration CLOSE_WAIT = Duration.ofSeconds(1);

  /** Told once when the tunnel ends. */
  public interface Ended {
    void ended(Tunnel tunnel, CloseCause by, long fromClient, long fromUpstream);
  }

  private final Relay client = new Relay(this, true);
  private final Relay upstream = new Relay(this, false);
  private final EventLoop loop;
  private final String listener;
  private final String route;
  private final long idleNanos;
  /** System.nanoTime() past which the tunnel is closed for its lifetime; 0 for none. */
  private final long lifetimeDeadline;
  private final long graceNanos;
  private final Ended ended;
  private long lastActivity;
  /** System.nanoTime() when the grace period of a drain ends; 0 while not draining. */
  private long drainDeadline;
  private @Nullable ScheduledFuture<?> timer;
  private @Nullable CloseCause cause;
  /** The gateway is closing the tunnel (a side closed, or it sent its close frames). */
  private boolean closing;
  private boolean done;

  private Tunnel(EventLoop loop, String listener, String route, TunnelSettings settings, Duration grace, Ended ended) {
    this.loop = loop;
    this.listener = listener;
    this.route = route;
    this.idleNanos = settings.idle().toNanos();
    long now = System.nanoTime();
    this.lifetimeDeadline = settings.lifetime() == null ? 0 : now + settings.lifetime().toNanos();
    this.graceNanos = grace.toNanos();
    this.ended = ended;
    this.lastActivity = now;
    client.peer = upstream;
    upstream.peer = client;
  }

  /**
   * Joins {@code clientSide} and {@code upstreamSide} into a tunnel: the relays go in front of their
   * HTTP handlers, bytes either side had received past the handshake go through first. Call on the
   * connections' event loop.
   *
   * @param grace how long a drained tunnel stays open before the gateway closes it
   */
  public static Tunnel open(String listener, String route, TunnelSettings settings, Duration grace,
      TunnelSide clientSide, TunnelSide upstreamSide, Ended ended) {
    Tunnel t = new Tunnel(clientSide.handler().channel().eventLoop(), listener, route, settings, grace, ended);
    clientSide.handler().pipeline().addBefore(clientSide.handler().name(), "websocket-tunnel", t.client);
    upstreamSide.handler().pipeline().addBefore(upstreamSide.handler().name(), "websocket-tunnel", t.upstream);
    t.start(clientSide.received(), upstreamSide.received());
    return t;
  }

  private void start(@Nullable ByteBuf fromClient, @Nullable ByteBuf fromUpstream) {
    for (Relay side : new Relay[] {client, upstream}) side.channel.config().setAutoRead(true);
    if (fromClient != null) pass(client, fromClient);
    if (fromUpstream != null) pass(upstream, fromUpstream);
    client.channelReadComplete(client.ctx);
    upstream.channelReadComplete(upstream.ctx);
    schedule(System.nanoTime());
    // A connection that closed during the hand-off: its close event went to the HTTP handler.
    if (!client.channel.isActive()) sideClosed(client);
    if (!upstream.channel.isActive()) sideClosed(upstream);
  }

  private void pass(Relay side, ByteBuf b) {
    if (b.isReadable()) {
      read(side, b);
    } else {
      b.release();
    }
  }

  /**
   * Adds this tunnel to {@code open} unless it already ended (a side was closed at the hand-off),
   * so that an ended tunnel never stays in the set.
   */
  public void register(java.util.Set<Tunnel> open) {
    if (!done) open.add(this);
  }

  public String listener() {
    return listener;
  }

  public String route() {
    return route;
  }

  /** Bytes {@code side} sent: to the other side, or dropped while the gateway closes the tunnel. */
  void read(Relay side, ByteBuf b) {
    side.bytesRead += b.readableBytes();
    side.frames.scan(b);
    if (closing) {
      b.release();
      // The side's close frame answers the gateway's: its connection can close now.
      if (side.closeSent && side.frames.closeFrames() > side.closeFramesAtGoAway) side.channel.close();
      return;
    }
    lastActivity = System.nanoTime();
    if (cause == null && side.frames.closeFrames() > 0) cause = side.client ? CloseCause.CLIENT : CloseCause.UPSTREAM;
    Relay to = side.peer;
    to.ctx.write(b, to.ctx.voidPromise());
    side.flushPeer = true;
    if (!to.channel.isWritable()) side.pause();
  }

  /** {@code side}'s connection closed. */
  void sideClosed(Relay side) {
    if (side.inactive) return;
    side.inactive = true;
    side.pausedByPeer = false;
    if (cause == null) cause = side.client ? CloseCause.CLIENT : CloseCause.UPSTREAM;
    Relay other = side.peer;
    if (!closing) {
      closing = true;
      // What the closed side sent last still goes out; a reader that never takes it is cut off
      // after the idle timeout.
      other.ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      ScheduledFuture<?> cutOff = loop.schedule(() -> {
        other.channel.close();
      }, idleNanos, TimeUnit.NANOSECONDS);
      // Not kept for the idle timeout once the connection is closed: short tunnels would pile up timers.
      other.channel.closeFuture().addListener(f -> cutOff.cancel(false));
    }
    end();
  }

  private void end() {
    if (done) return;
    done = true;
    ScheduledFuture<?> t = timer;
    if (t != null) {
      timer = null;
      t.cancel(false);
    }
    CloseCause by = cause == null ? CloseCause.CLIENT : cause;
    ended.ended(this, by, client.bytesRead, upstream.bytesRead);
  }

  /**
   * The tunnel's route or listener is gone, or the gateway shuts down: it stays open for the grace
   * period, then the gateway closes it. Any thread.
   */
  public void drain() {
    loop.execute(() -> {
      if (done || closing || drainDeadline != 0) return;
      drainDeadline = System.nanoTime() + Math.max(1, graceNanos);
      ScheduledFuture<?> t = timer;
      if (t != null) t.cancel(false);
      schedule(System.nanoTime());
    });
  }

  /** One timer per tunnel, for the earliest of idle, lifetime and drain deadlines. */
  private void schedule(long now) {
    long next = lastActivity + idleNanos;
    if (lifetimeDeadline != 0 && lifetimeDeadline - next < 0) next = lifetimeDeadline;
    if (drainDeadline != 0 && drainDeadline - next < 0) next = drainDeadline;
    timer = loop.schedule(this::onTimer, Math.max(0, next - now), TimeUnit.NANOSECONDS);
  }

  private void onTimer() {
    timer = null;
    if (done || closing) return;
    long now = System.nanoTime();
    // Waiting on back-pressure is the slow side's doing, not idleness (as on the HTTP path).
    if (client.pausedByPeer || upstream.pausedByPeer) lastActivity = now;
    if (drainDeadline != 0 && now - drainDeadline >= 0) {
      goAway(CloseCause.DRAIN, "going away");
    } else if (lifetimeDeadline != 0 && now - lifetimeDeadline >= 0) {
      goAway(CloseCause.LIFETIME, "maximum lifetime reached");
    } else if (now - (lastActivity + idleNanos) >= 0) {
      goAway(CloseCause.IDLE, "idle timeout");
    } else {
      schedule(now);
    }
  }

  /**
   * The gateway closes the tunnel: 1001 to each side at a frame boundary (its TCP connection closed
   * otherwise), then each side's connection closes on its close frame or after {@link #CLOSE_WAIT}.
   */
  private void goAway(CloseCause why, String reason) {
    closing = true;
    cause = why;
    for (Relay side : new Relay[] {client, upstream}) {
      side.closeFramesAtGoAway = side.frames.closeFrames();
      side.resume();
      // The frames going to this side are the ones read from the other.
      if (side.peer.frames.atBoundary()) {
        side.closeSent = true;
        side.ctx.writeAndFlush(CloseFrames.close(side.ctx.alloc(), CloseFrames.GOING_AWAY, reason, !side.client),
            side.ctx.voidPromise());
      } else {
        side.channel.close();
      }
    }
    ScheduledFuture<?> cutOff = loop.schedule(() -> {
      client.channel.close();
      upstream.channel.close();
    }, CLOSE_WAIT.toNanos(), TimeUnit.NANOSECONDS);
    client.channel.closeFuture().addListener(f -> {
      if (!upstream.channel.isOpen()) cutOff.cancel(false);
    });
    upstream.channel.closeFuture().addListener(f -> {
      if (!client.channel.isOpen()) cutOff.cancel(false);
    });
  }
}
