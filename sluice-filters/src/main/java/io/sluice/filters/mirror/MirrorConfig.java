package io.sluice.filters.mirror;

import io.sluice.api.ByteSize;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The {@code mirror} filter's config.
 *
 * @param upstream the Upstream that gets the copies; required
 * @param percentage the share of requests mirrored, 0 to 100 (default 100)
 * @param mirrorBody mirror requests with a body too (default false: only requests without a body
 *     are mirrored, and requests with one are not). With true, the route buffers request bodies up
 *     to {@code maxBodySize}, and a larger body gets 413: see the README.
 * @param maxBodySize with {@code mirrorBody}, the largest body buffered and mirrored (default 64KiB)
 * @param maxInFlight the most mirrored requests under way at once, per place the filter is
 *     configured (default 100); copies beyond it are dropped and counted
 * @param timeout the most a mirrored request may take (default the Upstream's response timeout)
 */
public record MirrorConfig(
    @Nullable String upstream, Double percentage, Boolean mirrorBody, ByteSize maxBodySize, Integer maxInFlight,
    @Nullable Duration timeout) {
  public MirrorConfig {
    percentage = percentage == null ? 100.0 : percentage;
    mirrorBody = mirrorBody != null && mirrorBody;
    maxBodySize = maxBodySize == null ? ByteSize.ofKiB(64) : maxBodySize;
    maxInFlight = maxInFlight == null ? 100 : maxInFlight;
  }
}
