package io.sluice.proxy.internal;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The socket transport: native epoll where it loads (Linux), NIO elsewhere or when
 * {@code -Dsluice.transport=nio} asks for it.
 */
public final class Transport {
  private static final boolean EPOLL =
      !"nio".equals(System.getProperty("sluice.transport")) && Epoll.isAvailable();

  private Transport() {}

  public static String name() {
    return EPOLL ? "epoll" : "nio";
  }

  static IoHandlerFactory ioHandlerFactory() {
    return EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
  }

  static Class<? extends ServerChannel> serverChannelClass() {
    return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  static Class<? extends SocketChannel> socketChannelClass() {
    return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }
}
