package io.sluice.filter.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The response as the client would get it: status, fields in the order they would be written (the
 * filters' edits applied; Content-Length as the gateway writes it; Connection, which is the
 * connection's, left out) and body.
 *
 * @param local true when the gateway made it (a filter's response, or an error), false for the upstream's
 */
public record ClientResponse(int status, List<HeaderField> headers, byte[] body, boolean local) {
  public ClientResponse {
    headers = List.copyOf(headers);
  }

  /** The first value of a field (case-insensitive), or null. */
  public @Nullable String header(String name) {
    return Fields.first(headers, name);
  }

  /** Every value of a field, in order. */
  public List<String> headerValues(String name) {
    return Fields.all(headers, name);
  }

  /** The body as UTF-8 text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "ClientResponse[" + status + ", " + headers + ", " + body.length + " bytes]";
  }
}
