package io.sluice.proxy.filter;

import io.sluice.api.ByteSize;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.UpstreamCall;
import io.sluice.filter.UpstreamCallException;
import io.sluice.filter.UpstreamReply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * {@code test-call}: calls {@code upstream} through {@link Exchange#upstreams()} with
 * {@code POST <the request's path>}, {@code X-Caller: <route>} and the request's path as the body,
 * and answers the client with 200: {@code X-Call-Status} (the reply's status), {@code X-Call-Answer}
 * (its {@code X-Answer} header), {@code X-Call-Trailer} (its {@code X-Checksum} trailer) and the
 * reply's body. A failed call answers the gateway's error format with the failure's status and
 * reason {@code call_<failure>} in lower case.
 */
public final class CallFilter implements FilterFactory<CallFilter.Config> {
  /**
   * @param upstream the Upstream to call
   * @param maxResponseBody the call's response body limit
   * @param timeout the call's deadline, or none
   */
  public record Config(@Nullable String upstream, @Nullable ByteSize maxResponseBody, @Nullable Duration timeout) {}

  @Override
  public String kind() {
    return "test-call";
  }

  @Override
  public Class<Config> configType() {
    return Config.class;
  }

  @Override
  public void validate(Config c, Problems problems) {
    if (c.upstream() == null) problems.add("upstream", "missing; expected the name of an Upstream");
  }

  @Override
  public List<Reference> references(Config c) {
    return List.of(new Reference("upstream", new ObjectRef(Kind.UPSTREAM, Objects.requireNonNull(c.upstream()))));
  }

  @Override
  public Filter create(Config c, FilterEnvironment env) {
    String upstream = Objects.requireNonNull(c.upstream());
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        UpstreamCall.Builder b = UpstreamCall.to(upstream).method("POST").path(x.request().path())
            .header("X-Caller", x.route()).body("text/plain", x.request().path());
        if (c.maxResponseBody() != null) b.maxResponseBody(c.maxResponseBody().bytes());
        if (c.timeout() != null) b.timeout(c.timeout());
        return FilterResult.async(x.upstreams().call(b.build()).handle((reply, error) ->
            FilterResult.respond(error == null ? answer(reply) : failed(error))));
      }
    };
  }

  private static LocalResponse answer(UpstreamReply r) {
    LocalResponse.Builder b = LocalResponse.builder(200).header("X-Call-Status", Integer.toString(r.status()));
    if (r.header("X-Answer") != null) b.header("X-Call-Answer", r.header("X-Answer"));
    if (r.trailer("X-Checksum") != null) b.header("X-Call-Trailer", r.trailer("X-Checksum"));
    return b.body(r.body()).build();
  }

  private static LocalResponse failed(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof UpstreamCallException u) {
      return LocalResponse.error(u.failure().status(), "call_" + u.failure().name().toLowerCase(Locale.ROOT), u.getMessage());
    }
    return LocalResponse.error(500, "call_bug", String.valueOf(e));
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
