package io.sluice.proxy.internal;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A bound listener: its server socket and the client connections accepted on it. Its configuration
 * is looked up by name in the data plane's current snapshot for every request, so a reload reaches
 * open keep-alive connections too.
 */
final class ListenerRuntime {
  final String name;
  private final DataPlane dataPlane;
  private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
  volatile @Nullable Channel serverChannel;
  volatile InetSocketAddress address;
  /** This listener as a hop in Via: added to what it sends upstream, and refused when it comes back. */
  final Via via = new Via();

  ListenerRuntime(String name, DataPlane dataPlane, InetSocketAddress address) {
    this.name = name;
    this.dataPlane = dataPlane;
    this.address = address;
  }

  /** This listener's configuration now, or null once it has been removed. */
  @Nullable ListenerConfig config() {
    return dataPlane.snapshot().listeners().get(name);
  }

  /** The Upstream named {@code name} in the running snapshot, or null (filters' calls, {@link OutboundCalls}). */
  @Nullable UpstreamRuntime upstream(String name) {
    return dataPlane.snapshot().upstreams().get(name);
  }

  /** Registers an accepted connection; false when the listener is at its connection limit. */
  boolean connectionOpened(Channel c) {
    ListenerConfig cfg = config();
    if (cfg == null || connections.size() >= cfg.maxConnections) {
      return false;
    }
    connections.add(c);
    return true;
  }

  void connectionClosed(Channel c) {
    connections.remove(c);
  }

  /** The data plane's record of unexpected exceptions, for this listener's connections. */
  /** The data plane's WebSocket tunnels. */
  io.sluice.proxy.websocket.WebSocketTunnels tunnels() {
    return dataPlane.tunnels();
  }

  UnexpectedErrors unexpectedErrors() {
    return dataPlane.observability().unexpectedErrors();
  }

  Set<Channel> connections() {
    return connections;
  }
}
