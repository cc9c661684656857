package io.sluice.proxy.http2;

import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.message.RequestRejectedException;
import io.sluice.proxy.message.RequestTargets;
import io.sluice.proxy.route.split.Colouring;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/2 request head ({@code HEADERS} of a stream, decoded by Netty's HPACK decoder) as the
 * protocol-neutral {@link RequestMessage}: {@code :method}, {@code :path} (normalised as the
 * HTTP/1.1 codec does), {@code :authority} (or Host) and {@code :scheme} are its pseudo fields; the
 * other fields keep their order, with {@code cookie} fields joined into one (RFC 9113 §8.2.3).
 *
 * <p>Malformed requests (RFC 9113 §8.1.1, §8.3) are refused with {@link RequestRejectedException}
 * (400): a missing {@code :method}, {@code :scheme} or {@code :path}, a connection-specific field
 * (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade), {@code TE} other than
 * {@code trailers}, an upper-case name, a Content-Length that is not digits. Netty's decoder, with
 * header validation on, already resets most of these streams before they get here; the checks are
 * repeated so that the head never depends on a decoder setting.
 *
 * <p>The X-Request-Id the gateway sends when the client sent none is drawn here, once per request,
 * so that a retry sends the same one.
 *
 * <p>Threading: one stream's event loop; valid for that stream's exchange.
 */
public final class Http2RequestHead implements RequestMessage {
  private final String method;
  private final String path;
  private final @Nullable String query;
  private final String authority;
  private final String host;
  private final String scheme;
  private final String clientIp;
  /** The client sent {@code te: trailers} (kept out of the fields: it is hop-by-hop, but an HTTP/2 upstream gets it). */
  private boolean teTrailers;
  private final String[] names;
  private final String[] values;
  private final int count;
  private final long contentLength;
  private final boolean hasBody;
  private final int headLength;
  private final byte @Nullable [] clientCertLine;
  private @Nullable Colouring setHeader;
  private final long requestIdHigh;
  private final long requestIdLow;

  /**
   * @param endStream the HEADERS frame ended the stream: there is no body
   * @param scheme the connection's scheme ({@code http} or {@code https}): X-Forwarded-Proto says what the client's connection is
   * @param clientCertLine the X-Forwarded-Client-Cert field the gateway sends, or null
   * @throws RequestRejectedException the request is malformed (400)
   */
  public Http2RequestHead(Http2Headers headers, boolean endStream, String scheme, String clientIp,
      byte @Nullable [] clientCertLine) {
    CharSequence m = headers.method();
    CharSequence p = headers.path();
    CharSequence s = headers.scheme();
    if (m == null || m.isEmpty()) throw new RequestRejectedException(400, "HTTP/2 request without :method");
    this.method = m.toString();
    if (method.equals("CONNECT")) {
      // RFC 9113 §8.5: only :method and :authority. The exchange answers 405 (CONNECT is not supported).
      path = "/";
      query = null;
    } else {
      if (s == null || s.isEmpty()) throw new RequestRejectedException(400, "HTTP/2 request without :scheme");
      if (p == null || p.isEmpty()) throw new RequestRejectedException(400, "HTTP/2 request without :path");
      String target = p.toString();
      if (target.equals("*")) {
        if (!method.equals("OPTIONS")) throw new RequestRejectedException(400, "asterisk-form :path outside OPTIONS");
        path = "*";
        query = null;
      } else {
        if (target.charAt(0) != '/') throw new RequestRejectedException(400, ":path must start with '/'");
        int q = target.indexOf('?');
        String raw = q < 0 ? target : target.substring(0, q);
        path = RequestTargets.normalizePath(raw);
        query = q < 0 ? null : target.substring(q + 1);
      }
    }
    String[] n = new String[Math.max(4, headers.size())];
    String[] v = new String[n.length];
    int c = 0;
    int size = 0;
    CharSequence hostField = null;
    StringBuilder cookies = null;
    long length = -1;
    for (Map.Entry<CharSequence, CharSequence> e : headers) {
      CharSequence name = e.getKey();
      CharSequence value = e.getValue();
      size += name.length() + value.length() + 32;
      if (name.length() > 0 && name.charAt(0) == ':') continue;
      String lower = name.toString();
      for (int i = 0; i < lower.length(); i++) {
        char ch = lower.charAt(i);
        if (ch >= 'A' && ch <= 'Z') throw new RequestRejectedException(400, "upper-case header field name '" + lower + "'");
      }
      switch (lower) {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade" ->
            throw new RequestRejectedException(400, "connection-specific header field '" + lower + "' in an HTTP/2 request");
        case "te" -> {
          if (!value.toString().trim().equalsIgnoreCase("trailers")) {
            throw new RequestRejectedException(400, "TE other than 'trailers' in an HTTP/2 request");
          }
          teTrailers = true;
          continue;
        }
        case "host" -> {
          hostField = value;
          continue;
        }
        case "content-length" -> {
          length = RequestTargets.contentLength(value.toString());
          continue;
        }
        case "cookie" -> {
          if (cookies == null) {
            cookies = new StringBuilder(value);
            n[c] = lower;
            v[c] = ""; // filled below
            c++;
          } else {
            cookies.append("; ").append(value);
          }
          continue;
        }
        default -> {}
      }
      if (c == n.length) {
        n = Arrays.copyOf(n, c * 2);
        v = Arrays.copyOf(v, c * 2);
      }
      n[c] = lower;
      v[c] = value.toString().trim();
      c++;
    }
    if (cookies != null) {
      for (int i = 0; i < c; i++) {
        if (n[i].equals("cookie")) v[i] = cookies.toString();
      }
    }
    CharSequence a = headers.authority();
    String auth = a != null ? a.toString() : hostField != null ? hostField.toString() : "";
    this.authority = auth;
    this.host = RequestTargets.hostOf(auth);
    this.names = n;
    this.values = v;
    this.count = c;
    this.contentLength = endStream ? -1 : length;
    this.hasBody = !endStream && length != 0;
    this.headLength = size;
    this.scheme = scheme;
    this.clientIp = clientIp;
    this.clientCertLine = clientCertLine;
    if (header("x-request-id") == null) {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      requestIdHigh = r.nextLong();
      requestIdLow = r.nextLong() | 1; // never both zero: zero means "none generated"
    } else {
      requestIdHigh = requestIdLow = 0;
    }
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public @Nullable String query() {
    return query;
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    Colouring s = setHeader;
    if (s != null && s.lowerCaseName().equals(lowerCaseName)) return s.value();
    if (lowerCaseName.equals("host")) return authority;
    for (int i = 0; i < count; i++) {
      if (names[i].equals(lowerCaseName)) return values[i];
    }
    return null;
  }

  @Override
  public String clientIp() {
    return clientIp;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String authority() {
    return authority;
  }

  @Override
  public String protocol() {
    return "HTTP/2.0";
  }

  @Override
  public int headLength() {
    return headLength;
  }

  @Override
  public long contentLength() {
    return contentLength;
  }

  @Override
  public boolean hasBody() {
    return hasBody;
  }

  @Override
  public boolean bodyChunked() {
    return hasBody && contentLength < 0;
  }

  @Override
  public boolean expectsContinue() {
    // An HTTP/2 client sends its body as the window allows; the gateway does not send 100 itself.
    return false;
  }

  @Override
  public int headerCount() {
    return count;
  }

  @Override
  public String headerName(int i) {
    return names[i];
  }

  @Override
  public String headerValue(int i) {
    return values[i];
  }

  /** Whether the request carried {@code te: trailers}, the one TE an HTTP/2 request may have (gRPC sends it). */
  public boolean teTrailers() {
    return teTrailers;
  }

  @Override
  public boolean headerNameIs(int i, String lowerName) {
    return names[i].equals(lowerName);
  }

  @Override
  public boolean isHopByHop(int i) {
    return switch (names[i]) {
      case "te", "proxy-authenticate", "proxy-authorization", "expect" -> true;
      default -> false;
    };
  }

  @Override
  public boolean viaNames(String pseudonym) {
    for (int i = 0; i < count; i++) {
      if (names[i].equals("via") && values[i].contains(pseudonym)) return true;
    }
    return false;
  }

  @Override
  public void setHeader(Colouring header) {
    setHeader = header;
  }

  @Override
  public @Nullable Colouring setHeaderField() {
    return setHeader;
  }

  @Override
  public long generatedRequestIdHigh() {
    return requestIdHigh;
  }

  @Override
  public long generatedRequestIdLow() {
    return requestIdLow;
  }

  @Override
  public byte @Nullable [] forwardedClientCertLine() {
    return clientCertLine;
  }
}
