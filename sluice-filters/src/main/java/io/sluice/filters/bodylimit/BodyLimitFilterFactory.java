package io.sluice.filters.bodylimit;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import java.util.Objects;

/**
 * {@code body-limit}: refuses request bodies larger than {@code maxSize} with 413
 * {@code request_body_too_large}, without buffering them: a Content-Length above it is refused
 * before any of the body is read (result {@code too-large}); a chunked body is refused as soon as
 * it grows beyond it, mid-stream (the upstream's request is then aborted and the connection closed).
 *
 * <pre>{@code
 * - kind: body-limit
 *   config: {maxSize: 1MiB}
 * }</pre>
 *
 * <p>Per route what the listener's {@code limits.maxBodySize} is for every route; the lower of the
 * two applies.
 */
public final class BodyLimitFilterFactory implements FilterFactory<BodyLimitConfig> {
  @Override
  public String kind() {
    return "body-limit";
  }

  @Override
  public Class<BodyLimitConfig> configType() {
    return BodyLimitConfig.class;
  }

  @Override
  public void validate(BodyLimitConfig c, Problems problems) {
    if (c.maxSize() == null) problems.add("maxSize", "missing; expected a size such as 1MiB");
  }

  @Override
  public Filter create(BodyLimitConfig c, FilterEnvironment env) {
    long max = Objects.requireNonNull(c.maxSize(), "maxSize (validated)").bytes();
    FilterResult tooLarge = FilterResult.respond("too-large",
        LocalResponse.error(413, "request_body_too_large", "request body larger than " + max + " bytes"));
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        if (x.request().contentLength() > max) return tooLarge;
        if (x.request().hasBody()) x.request().limitBodySize(max);
        return FilterResult.CONTINUE;
      }
    };
  }
}
