package io.sluice.proxy.internal;

import io.sluice.api.listener.ListenerSpec;
import io.sluice.proxy.route.RouteTable;
import io.sluice.proxy.tls.internal.ServerTls;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** A Listener compiled for the data plane: its limits in the units the hot path uses, and its routes. */
final class ListenerConfig {
  final String name;
  final ListenerSpec spec;
  final int maxHeaderSize;
  final int maxUriLength;
  final int maxHeaderCount;
  final long maxBodySize;
  /** {@code limits.requestBuffer} in bytes (0: request buffering off). */
  final int requestBufferBytes;
  final int maxConnections;
  final long idleTimeoutNanos;
  final long headerReadTimeoutNanos;
  /** {@code timeouts.filter}: how long a filter's async result may keep a phase waiting. */
  final Duration filterTimeout;
  final RouteTable<RuntimeRoute> routes;
  final ListenerObservability observability;
  /** HTTPS: the certificates by SNI; null on a plain HTTP listener. */
  final @Nullable ServerTls tls;
  /** The listener serves HTTP/1.x ({@code protocols} lists {@code http1}). */
  final boolean http1;
  /** The listener serves HTTP/2 ({@code h2} by ALPN on TLS, {@code h2c} by its preface on plain TCP). */
  final boolean http2;
  /** {@code spec.http2}, with its defaults. */
  final ListenerSpec.Http2 http2Settings;

  ListenerConfig(String name, ListenerSpec spec, RouteTable<RuntimeRoute> routes, ListenerObservability observability,
      @Nullable ServerTls tls) {
    this.name = name;
    this.spec = spec;
    ListenerSpec.Limits l = spec.limits();
    this.maxHeaderSize = l.maxHeaderSize().toIntExact();
    this.maxUriLength = l.maxUriLength();
    this.maxHeaderCount = l.maxHeaderCount();
    this.maxBodySize = l.maxBodySize() == null ? Long.MAX_VALUE : l.maxBodySize().bytes();
    this.requestBufferBytes = l.requestBuffer().toIntExact();
    this.maxConnections = l.maxConnections();
    this.idleTimeoutNanos = spec.timeouts().idle().toNanos();
    this.headerReadTimeoutNanos = spec.timeouts().headerRead().toNanos();
    this.filterTimeout = spec.timeouts().filter();
    this.routes = routes;
    this.observability = observability;
    this.tls = tls;
    java.util.List<String> protocols = spec.protocolsOrDefault();
    this.http1 = protocols.contains(ListenerSpec.HTTP1);
    this.http2 = protocols.contains(ListenerSpec.H2) || protocols.contains(ListenerSpec.H2C);
    this.http2Settings = spec.http2OrDefault();
  }

  /** This listener with another TLS (its certificate files changed). */
  ListenerConfig withTls(@Nullable ServerTls next) {
    return new ListenerConfig(name, spec, routes, observability, next);
  }

  /** This listener with another route table (only routes changed). */
  ListenerConfig withRoutes(RouteTable<RuntimeRoute> table) {
    return new ListenerConfig(name, spec, table, observability, tls);
  }
}
