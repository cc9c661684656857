package io.sluice.proxy.internal;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import java.util.concurrent.TimeUnit;

/**
 * What the kernel knows of an upstream socket that the event loop may not have read yet: a FIN or
 * a reset that arrived after the loop last looked. Read with {@code getsockopt(TCP_INFO)} on epoll;
 * with NIO nothing beyond {@link Channel#isActive()} is known.
 *
 * <p>Threading: one instance per event loop, used only by it (the {@code tcp_info} holder is reused).
 */
final class SocketState {
  // Linux TCP states (include/net/tcp_states.h).
  private static final int TCP_ESTABLISHED = 1;
  private static final int TCP_CLOSE = 7;

  private final EpollTcpInfo info = new EpollTcpInfo();

  /**
   * True when {@code ch} is open and, on epoll, still ESTABLISHED in the kernel: no FIN or reset
   * from the peer is waiting there unread.
   */
  boolean established(Channel ch) {
    if (!ch.isActive()) return false;
    if (ch instanceof EpollSocketChannel e) return e.tcpInfo(info).state() == TCP_ESTABLISHED;
    return true;
  }

  /**
   * How long to wait after the peer's FIN for the reset that tells whether the bytes the gateway
   * sent met a socket the peer had closed: two round trips as the kernel measured them (the reset
   * answers those bytes), at least 10 ms (on a busy host the peer's kernel may answer late), at
   * most a second. Zero when there is nothing to wait for (NIO: no state to read).
   */
  long resetWaitNanos(Channel ch) {
    if (!(ch instanceof EpollSocketChannel e) || !ch.isOpen()) return 0;
    long rttMicros = e.tcpInfo(info).rtt();
    return TimeUnit.MICROSECONDS.toNanos(Math.clamp(2 * rttMicros, 10_000L, 1_000_000L));
  }

  /**
   * True when the peer reset {@code ch} (epoll only): after its FIN, bytes the gateway sent met a
   * socket the peer had already closed, so it never read them.
   */
  boolean reset(Channel ch) {
    return ch instanceof EpollSocketChannel e && ch.isOpen() && e.tcpInfo(info).state() == TCP_CLOSE;
  }
}
