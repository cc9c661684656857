package io.sluice.proxy.filter.internal;

import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The filters one route runs on one listener, compiled when the configuration is applied:
 * GlobalFilter {@code before} lists, the route's pipeline, the route's own filters, GlobalFilter
 * {@code after} lists, with overridden and disabled global filters left out and every
 * {@code onResult} jump resolved to a position. Immutable; nothing is looked up per request.
 */
public final class FilterChain {
  /** One compiled filter. */
  static final class Link {
    final Filter filter;
    /** {@code Route/orders spec.filters[1] (key-auth)}: how errors name the filter. */
    final String where;
    final boolean request;
    final boolean response;
    final boolean end;
    final long bodyLimit;
    /** {@link Filter#bufferResponseBody()}: 0 when the filter does not read the response body. */
    final long responseBodyLimit;
    /** {@link Filter#streamRequestBody()}: 0 when the filter does not stream the request body. */
    final long requestStreamLimit;
    /** {@link Filter#streamResponseBody()}: 0 when the filter does not stream the response body. */
    final long responseStreamLimit;
    /** Result name to position (the end of the filter's list for END); null without {@code onResult}. */
    final @Nullable Map<String, Integer> jumps;

    Link(Filter filter, String where, @Nullable Map<String, Integer> jumps) {
      this.filter = filter;
      this.where = where;
      this.request = overrides(filter, "onRequest");
      this.response = overrides(filter, "onResponse");
      this.end = overrides(filter, "onEnd");
      long limit = filter.bufferRequestBody();
      if (limit < 0) throw new IllegalArgumentException(where + ": bufferRequestBody() must be >= 0, got " + limit);
      this.bodyLimit = limit;
      long responseLimit = filter.bufferResponseBody();
      if (responseLimit < 0) throw new IllegalArgumentException(where + ": bufferResponseBody() must be >= 0, got " + responseLimit);
      this.responseBodyLimit = responseLimit;
      this.requestStreamLimit = streamLimit(where, "streamRequestBody", filter.streamRequestBody());
      this.responseStreamLimit = streamLimit(where, "streamResponseBody", filter.streamResponseBody());
      if (limit > 0 && requestStreamLimit > 0) {
        throw new IllegalArgumentException(where + ": declares both bufferRequestBody() and streamRequestBody();"
            + " a filter either buffers the request body or streams it");
      }
      if (responseLimit > 0 && responseStreamLimit > 0) {
        throw new IllegalArgumentException(where + ": declares both bufferResponseBody() and streamResponseBody();"
            + " a filter either buffers the response body or streams it");
      }
      this.jumps = jumps == null || jumps.isEmpty() ? null : Map.copyOf(jumps);
    }

    private static long streamLimit(String where, String method, long limit) {
      if (limit < 0) throw new IllegalArgumentException(where + ": " + method + "() must be >= 0, got " + limit);
      return limit;
    }

    private static boolean overrides(Filter f, String method) {
      try {
        return f.getClass().getMethod(method, Exchange.class).getDeclaringClass() != Filter.class;
      } catch (NoSuchMethodException e) {
        return true;
      }
    }
  }

  private final Link[] links;
  private final boolean anyResponse;
  private final boolean anyEnd;
  private final long bodyLimit;
  private final boolean anyResponseBody;
  private final boolean anyRequestStream;
  private final boolean anyResponseStream;

  FilterChain(List<Link> links) {
    this.links = links.toArray(Link[]::new);
    boolean response = false;
    boolean end = false;
    long limit = 0;
    boolean responseBody = false;
    Link requestStream = null;
    Link responseStream = null;
    Link requestBuffer = null;
    Link responseBuffer = null;
    for (Link l : this.links) {
      if (l.requestStreamLimit > 0 && requestStream == null) requestStream = l;
      if (l.responseStreamLimit > 0 && responseStream == null) responseStream = l;
      if (l.bodyLimit > 0 && requestBuffer == null) requestBuffer = l;
      if (l.responseBodyLimit > 0 && responseBuffer == null) responseBuffer = l;
      responseBody |= l.responseBodyLimit > 0;
      response |= l.response;
      end |= l.end;
      limit = Math.max(limit, l.bodyLimit);
    }
    this.anyResponse = response;
    this.anyEnd = end;
    this.bodyLimit = limit;
    this.anyResponseBody = responseBody;
    // Streaming a body after another filter read it whole (or the reverse) would need both
    // behaviours on one message; refused here rather than guessed at per request.
    if (requestStream != null && requestBuffer != null) {
      throw new IllegalArgumentException(requestBuffer.where + " buffers the request body and " + requestStream.where
          + " streams it; a route's filters either buffer a body or stream it");
    }
    if (responseStream != null && responseBuffer != null) {
      throw new IllegalArgumentException(responseBuffer.where + " buffers the response body and " + responseStream.where
          + " streams it; a route's filters either buffer a body or stream it");
    }
    this.anyRequestStream = requestStream != null;
    this.anyResponseStream = responseStream != null;
  }

  /** Whether any filter streams the request body ({@link Filter#streamRequestBody()}). */
  public boolean streamsRequestBody() {
    return anyRequestStream;
  }

  /** Whether any filter streams the response body ({@link Filter#streamResponseBody()}). */
  public boolean streamsResponseBody() {
    return anyResponseStream;
  }

  /** Whether any filter reads the response body. */
  boolean hasResponseBodyPhase() {
    return anyResponseBody;
  }

  public int size() {
    return links.length;
  }

  Link link(int i) {
    return links[i];
  }

  /** Whether any filter has a response phase (or a response body phase). */
  public boolean hasResponsePhase() {
    return anyResponse || anyResponseBody;
  }

  /** Whether any filter has an end callback. */
  boolean hasEndCallback() {
    return anyEnd;
  }

  /** The most bytes of request body any filter buffers; 0 when none reads the body. */
  public long bodyLimit() {
    return bodyLimit;
  }

  /** Where the flow goes when filter {@code i} ends with result {@code name}; -1 when it has no jump for it. */
  int jump(int i, @Nullable String name) {
    Map<String, Integer> j = links[i].jumps;
    if (j == null || name == null) return -1;
    Integer to = j.get(name);
    return to == null ? -1 : to;
  }

  /** The places of the filters, in order: for tests and diagnostics. */
  public List<String> describe() {
    return java.util.Arrays.stream(links).map(l -> l.where).toList();
  }
}
