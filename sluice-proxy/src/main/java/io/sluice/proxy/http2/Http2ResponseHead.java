package io.sluice.proxy.http2;

import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.proxy.message.ResponseMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/2 upstream's response head (its first non-1xx HEADERS) as the neutral
 * {@link ResponseMessage}: the pseudo-headers left out, the connection-specific fields (which an
 * HTTP/2 peer must not send) marked hop-by-hop. A head that ended the stream (END_STREAM on the
 * HEADERS, as gRPC's trailers-only responses do) has a body of length 0, stated as
 * {@code content-length: 0} so that an HTTP/1.1 client sees where it ends.
 *
 * <p>Threading and lifetime: the upstream stream's event loop; one per response.
 */
public final class Http2ResponseHead implements ResponseMessage {
  private final int status;
  private final boolean endStream;
  private final long contentLength;
  private final List<String> fields;

  /** @throws NumberFormatException when {@code :status} is missing or not a number */
  public Http2ResponseHead(Http2Headers headers, boolean endStream) {
    CharSequence s = headers.status();
    if (s == null) throw new NumberFormatException("missing :status");
    this.status = Integer.parseInt(s.toString());
    this.endStream = endStream;
    List<String> f = new ArrayList<>(2 * headers.size() + 2);
    long length = -1;
    for (Map.Entry<CharSequence, CharSequence> e : headers) {
      String name = e.getKey().toString();
      if (name.startsWith(":")) continue;
      String value = e.getValue().toString();
      if (name.equals("content-length")) {
        try {
          length = Long.parseLong(value.strip());
        } catch (NumberFormatException x) {
          throw new NumberFormatException("invalid content-length '" + value + "'");
        }
      }
      f.add(name);
      f.add(value);
    }
    if (endStream && length < 0 && status != 204 && status != 304) {
      f.add("content-length");
      f.add("0");
      length = 0;
    }
    this.contentLength = endStream ? 0 : length;
    this.fields = f;
  }

  /** Whether the HEADERS ended the stream (no body, no trailers). */
  public boolean endStream() {
    return endStream;
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public long bodyLength() {
    return contentLength;
  }

  @Override
  public boolean bodyChunked() {
    // Any HTTP/2 body may end with trailers; its stream delivers the framed mode as HTTP/1.1 chunks.
    return !endStream;
  }

  @Override
  public int headerCount() {
    return fields.size() / 2;
  }

  @Override
  public String headerName(int i) {
    return fields.get(2 * i);
  }

  @Override
  public String headerValue(int i) {
    return fields.get(2 * i + 1);
  }

  @Override
  public boolean headerNameIs(int i, String lowerName) {
    return fields.get(2 * i).equals(lowerName);
  }

  @Override
  public boolean isHopByHop(int i) {
    return switch (fields.get(2 * i)) {
      case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te" -> true;
      default -> false;
    };
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    for (int i = 0; i < fields.size(); i += 2) {
      if (fields.get(i).equals(lowerCaseName)) return fields.get(i + 1);
    }
    return null;
  }
}
