package io.sluice.proxy.internal;

import io.sluice.proxy.route.split.Colouring;
import io.sluice.proxy.route.split.TrafficSplit;
import org.jspecify.annotations.Nullable;

/**
 * What a proxying route adds to the plain "send to this upstream": where each request goes (a
 * weighted split and canary rules), the colour it sets, its own retry policy and timeouts.
 * Compiled once per route when the configuration is applied; immutable.
 *
 * @param split the route's destination; picks the upstream per request
 * @param colour the header the route sets before the canary rules run; null for none
 * @param retries the route's retry policy replacing the upstream's; null to use the upstream's
 * @param requestTimeoutNanos from the whole request received to the response head, over all
 *     attempts; 0 for none
 * @param responseTimeoutNanos each attempt's response timeout replacing the upstream's; 0 to use
 *     the upstream's
 * @param websocket the route's WebSocket tunnels' timeouts; null when the route turned WebSocket off
 */
record RouteTraffic(
    TrafficSplit<UpstreamRuntime> split,
    @Nullable Colouring colour,
    io.sluice.proxy.upstream.retry.@Nullable RetryRules retries,
    long requestTimeoutNanos,
    long responseTimeoutNanos,
    io.sluice.proxy.websocket.@Nullable TunnelSettings websocket) {}
