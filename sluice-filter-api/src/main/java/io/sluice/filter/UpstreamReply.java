package io.sluice.filter;

import java.nio.charset.Charset;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The response to an {@link UpstreamCall}: status, header fields (hop-by-hop fields left out),
 * the whole body, and trailer fields when the body was chunked and had any. Immutable.
 *
 * @param status the final status (100-599; interim 1xx responses are not shown)
 * @param headers the header fields, in order, as received
 * @param body the body (empty: none); do not modify the array
 * @param trailers the trailer fields, in order (empty: none)
 */
public record UpstreamReply(int status, List<UpstreamCall.Header> headers, byte[] body, List<UpstreamCall.Header> trailers) {
  public UpstreamReply {
    if (status < 100 || status > 599) throw new IllegalArgumentException("status: expected 100 to 599, got " + status);
    headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
    Objects.requireNonNull(body, "body");
    trailers = List.copyOf(Objects.requireNonNull(trailers, "trailers"));
  }

  /** The first value of the header {@code name} (case-insensitive), or null. */
  public @Nullable String header(String name) {
    return first(headers, name);
  }

  /** The first value of the trailer {@code name} (case-insensitive), or null. */
  public @Nullable String trailer(String name) {
    return first(trailers, name);
  }

  /** The body as text in {@code charset}. */
  public String bodyText(Charset charset) {
    return new String(body, charset);
  }

  private static @Nullable String first(List<UpstreamCall.Header> fields, String name) {
    for (UpstreamCall.Header h : fields) {
      if (h.name().equalsIgnoreCase(name)) return h.value();
    }
    return null;
  }

  @Override
  public String toString() {
    return "UpstreamReply[" + status + ", " + headers.size() + " headers, " + body.length + " body bytes]";
  }
}
