package io.sluice.server.cli;

import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * How a config canary is judged ({@code --canary-window} and the rest), shared by the commands that start one
 * ({@code apply --canary}, {@code publish N --canary}), each of which declares {@code --canary} itself with its own help.
 */
final class CanaryOptions {
  @Option(names = "--canary-window", paramLabel = "DURATION", description = "how long the canary must stay worse than the rest"
      + " before it is aborted by itself (default: 30s)")
  @Nullable String canaryWindow;

  @Option(names = "--canary-error-margin", paramLabel = "PERCENT", description = "how much higher the canary's 5xx rate may be"
      + " than the rest's, in percentage points (default: 5%)")
  @Nullable String canaryErrorMargin;

  @Option(names = "--canary-p99-margin", paramLabel = "DURATION", description = "how much higher the canary's p99 latency may be"
      + " than the rest's (default: 250ms)")
  @Nullable String canaryP99Margin;

  @Option(names = "--canary-min-requests", paramLabel = "N", description = "the fewest canary requests in the nodes' 10s"
      + " window a verdict is made on (default: 20)")
  @Nullable Integer canaryMinRequests;

  @Option(names = "--no-canary-auto-abort", description = "only an operator ends the canary: no automatic abort")
  boolean noAutoAbort;

  /**
   * The query parameters ({@code canary=...&...}, no leading separator) asking for a canary on {@code selector}, or empty
   * when it is null.
   *
   * @throws CliException (usage) when a {@code --canary-...} option is given without a selector
   */
  String query(@Nullable String selector) {
    if (selector == null) {
      if (canaryWindow != null || canaryErrorMargin != null || canaryP99Margin != null || canaryMinRequests != null || noAutoAbort) {
        throw new CliException(2, List.of("error: the --canary-... options need --canary SELECTOR"));
      }
      return "";
    }
    StringBuilder q = new StringBuilder("canary=").append(AdminClient.encode(selector));
    if (canaryWindow != null) q.append("&canaryWindow=").append(AdminClient.encode(canaryWindow));
    if (canaryErrorMargin != null) {
      String m = canaryErrorMargin.endsWith("%") ? canaryErrorMargin : canaryErrorMargin + "%";
      q.append("&canaryErrorMargin=").append(AdminClient.encode(m));
    }
    if (canaryP99Margin != null) q.append("&canaryP99Margin=").append(AdminClient.encode(canaryP99Margin));
    if (canaryMinRequests != null) q.append("&canaryMinRequests=").append(canaryMinRequests);
    if (noAutoAbort) q.append("&canaryAutoAbort=false");
    return q.toString();
  }
}
