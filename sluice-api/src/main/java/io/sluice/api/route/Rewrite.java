package io.sluice.api.route;

import org.jspecify.annotations.Nullable;

/**
 * Changes made to a request before it is proxied.
 *
 * @param pathPrefix replaces the part of the path matched by a {@code prefix} path match
 *     ({@code prefix: /api}, {@code pathPrefix: /} sends {@code /api/x} as {@code /x}); only valid on
 *     routes with a prefix match
 * @param host replaces the Host header sent upstream (by default the client's Host is kept)
 */
public record Rewrite(@Nullable String pathPrefix, @Nullable String host) {}
