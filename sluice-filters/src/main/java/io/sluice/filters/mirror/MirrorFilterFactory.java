package io.sluice.filters.mirror;

import io.sluice.api.ConfigObject;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.api.upstream.UpstreamSpec;
import io.sluice.filters.outbound.OutboundHttp;
import io.sluice.filters.outbound.UpstreamEndpoints;
import io.sluice.filter.Body;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Request;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * {@code mirror}: sends a copy of a share of the requests to another Upstream (a shadow of a new
 * version, a traffic recorder), fire and forget.
 *
 * <pre>{@code
 * - kind: mirror
 *   config:
 *     upstream: orders-v2-shadow
 *     percentage: 10
 *     mirrorBody: true          # buffer and mirror bodies up to maxBodySize
 *     maxBodySize: 64KiB
 *     maxInFlight: 100
 *     timeout: 2s
 * }</pre>
 *
 * <p><b>The copy.</b> The request as the filters before this one left it: method, path, query,
 * headers (without the hop-by-hop ones), and the body when {@code mirrorBody} is on. It goes to an
 * endpoint of the Upstream picked at random by weight, with {@code Host} set to that endpoint, the
 * client's Host in {@code X-Forwarded-Host}, the client address appended to
 * {@code X-Forwarded-For}, and {@code X-Sluice-Mirror: 1}, so the shadow can tell copies apart.
 *
 * <p><b>Invisible to the client.</b> The copy is handed to the outbound HTTP client (off the event
 * loops) and the request goes on at once: the main request and response are never delayed or
 * changed by the mirror's slowness, errors or absence. The response of the copy is read and thrown
 * away. At most {@code maxInFlight} copies are under way at once; beyond that copies are dropped
 * (counted, and logged at most once a minute, like failures). Each copy is bounded by
 * {@code timeout}.
 *
 * <p><b>Bodies.</b> A body streams to the upstream and cannot be copied on the way, so by default
 * only requests without a body are mirrored. With {@code mirrorBody: true} the filter asks for the
 * body to be buffered ({@link Filter#bufferRequestBody()}): bodies up to {@code maxBodySize} are
 * read before the request goes on, and a larger body is refused with 413 for the main request too.
 */
public final class MirrorFilterFactory implements FilterFactory<MirrorConfig> {
  /** The header every copy carries. */
  public static final String MIRROR_HEADER = "X-Sluice-Mirror";

  @Override
  public String kind() {
    return "mirror";
  }

  @Override
  public Class<MirrorConfig> configType() {
    return MirrorConfig.class;
  }

  @Override
  public void validate(MirrorConfig c, Problems problems) {
    if (c.upstream() == null || c.upstream().isEmpty()) problems.add("upstream", "missing; expected the name of an Upstream");
    if (!(c.percentage() >= 0 && c.percentage() <= 100)) problems.add("percentage", "expected 0 to 100, got " + c.percentage());
    if (c.maxBodySize().bytes() < 1 || c.maxBodySize().bytes() > Integer.MAX_VALUE - 8) {
      problems.add("maxBodySize", "expected 1 byte to 2GiB, got " + c.maxBodySize().bytes() + " bytes");
    }
    if (c.maxInFlight() < 1) problems.add("maxInFlight", "expected at least 1, got " + c.maxInFlight());
    if (c.timeout() != null && !c.timeout().isPositive()) problems.add("timeout", "expected a duration above zero, got " + c.timeout());
  }

  @Override
  public List<Reference> references(MirrorConfig c) {
    return List.of(new Reference("upstream", new ObjectRef(Kind.UPSTREAM, Objects.requireNonNull(c.upstream(), "upstream (validated)"))));
  }

  @Override
  public Filter create(MirrorConfig c, FilterEnvironment env) {
    ConfigObject<UpstreamSpec> upstream = env.config().upstream(Objects.requireNonNull(c.upstream(), "upstream (validated)"));
    if (upstream == null) throw new IllegalArgumentException("Upstream '" + c.upstream() + "' does not exist");
    UpstreamEndpoints endpoints = UpstreamEndpoints.of(upstream);
    Duration timeout = c.timeout() != null ? c.timeout() : endpoints.timeouts().response();
    MirrorStats stats = env.shared("stats", () -> new MirrorStats(env.owner() + " " + env.field() + " to Upstream/" + upstream.name()));
    double share = c.percentage() / 100;
    boolean withBody = c.mirrorBody();
    long bodyLimit = withBody ? c.maxBodySize().bytes() : 0;
    int maxInFlight = c.maxInFlight();
    return new Filter() {
      @Override
      public long bufferRequestBody() {
        return bodyLimit;
      }

      @Override
      public FilterResult onRequest(Exchange x) {
        if (share < 1 && (share <= 0 || ThreadLocalRandom.current().nextDouble() >= share)) return FilterResult.CONTINUE;
        Request r = x.request();
        byte[] body = null;
        if (r.hasBody()) {
          Body b = withBody ? r.body() : null;
          if (b == null) {
            stats.skippedWithBody.incrementAndGet();
            return FilterResult.CONTINUE;
          }
          body = b.toByteArray();
        }
        if (!stats.tryStart(maxInFlight)) return FilterResult.CONTINUE;
        Copy copy = copy(r, body);
        OutboundHttp.executor().execute(() -> send(copy, endpoints, timeout, stats));
        return FilterResult.CONTINUE;
      }
    };
  }

  /** What the copy needs from the exchange, taken on the loop: the exchange must not be read later. */
  private record Copy(String method, String target, List<String> headers, byte @Nullable [] body) {}

  private static Copy copy(Request r, byte @Nullable [] body) {
    List<String> headers = new ArrayList<>(32);
    StringBuilder xff = new StringBuilder();
    r.headers().forEach((name, value) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      switch (lower) {
        case "x-forwarded-for" -> xff.append(xff.isEmpty() ? "" : ", ").append(value);
        case "x-forwarded-host", "x-forwarded-proto", "x-sluice-mirror" -> {}
        default -> {
          if (OutboundHttp.copyable(lower)) {
            headers.add(name);
            headers.add(value);
          }
        }
      }
    });
    headers.add("X-Forwarded-For");
    headers.add(xff.append(xff.isEmpty() ? "" : ", ").append(r.clientIp()).toString());
    headers.add("X-Forwarded-Host");
    headers.add(r.authority());
    headers.add("X-Forwarded-Proto");
    headers.add(r.scheme());
    headers.add(MIRROR_HEADER);
    headers.add("1");
    String target = r.query() == null || r.query().isEmpty() ? r.path() : r.path() + "?" + r.query();
    return new Copy(r.method(), target, headers, body);
  }

  /** On an outbound thread. Never throws: every outcome ends up in {@code stats}. */
  private static void send(Copy copy, UpstreamEndpoints endpoints, Duration timeout, MirrorStats stats) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(OutboundHttp.uri(endpoints.pick(), copy.target()))
          .timeout(OutboundHttp.atLeastOneMilli(timeout))
          .method(copy.method(), copy.body() == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(copy.body()));
      List<String> h = copy.headers();
      for (int i = 0; i < h.size(); i += 2) {
        try {
          b.header(h.get(i), h.get(i + 1));
        } catch (IllegalArgumentException e) {
          // A field the JDK client will not send (non-ASCII value, say): the copy goes without it.
        }
      }
      OutboundHttp.client().sendAsync(b.build(), HttpResponse.BodyHandlers.discarding())
          .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .whenComplete((response, error) -> stats.ended(error));
    } catch (RuntimeException e) {
      stats.ended(e);
    }
  }
}
