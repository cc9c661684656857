package io.sluice.api.route;

/**
 * Traffic colouring: the route sets header {@code header} to {@code value} on the requests it
 * takes, replacing a value the client sent. The route's canary rules see the colour, the upstream
 * receives it, and the next hop (another gateway, or a service mesh) can route on it.
 *
 * <pre>{@code
 * colour: {header: x-sluice-colour, value: blue}
 * }</pre>
 *
 * @param header the header name (a token; not one the proxy manages itself, such as Host)
 * @param value the header value
 */
public record Colour(String header, String value) {}
