package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.message.RequestRejectedException;
import io.sluice.proxy.message.RequestTargets;
import io.sluice.proxy.message.UpstreamRequest;
import io.sluice.proxy.route.split.Colouring;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The head of one HTTP/1.x request, parsed strictly (RFC 9112 §2–§7, RFC 9110 §5) from bytes that
 * {@link RequestHeadReader} found to end in an empty line.
 *
 * <p>Header fields stay as offsets into the copied head bytes: forwarding copies them without
 * building strings, and only the few values that something asks for become strings.
 *
 * <p>Threading and lifetime: an instance belongs to one connection and is reused for each request
 * on it; the values are valid until the next request's head is read on that connection.
 */
public final class RequestHead implements RequestMessage {
  private static final int SLOTS = HeaderFields.SLOTS;

  byte[] bytes = new byte[0];
  int length;
  String method = "";
  boolean http10;
  int targetStart;
  int targetEnd;
  String path = "/";
  @Nullable String query;
  String host = "";
  /** The Host header's value (or the absolute-form target's authority) as received. */
  String authority = "";
  int headerCount;
  int[] fields = new int[16 * SLOTS];
  long contentLength;
  boolean chunked;
  boolean expectContinue;
  boolean keepAlive;
  /** Names (lower case) listed in Connection other than close/keep-alive: hop-by-hop for this message. */
  String @Nullable [] connectionTokens;
  String clientIp = "";
  /** {@code http} or {@code https}: what the client's connection is, as X-Forwarded-Proto says. */
  private String scheme = "http";
  /** The X-Forwarded-Client-Cert field to send ({@code Name: value\r\n}), or null without a verified client certificate. */
  private byte @Nullable [] clientCertLine;
  /** The request has a Via field (which loop detection reads). */
  private boolean viaSeen;
  /** The X-Request-Id generated for this request (both zero until drawn), so a retry sends the same one. */
  private long requestIdHigh;
  private long requestIdLow;
  /** The target is origin-form and its path needed no normalisation: it can be forwarded as received. */
  boolean targetVerbatim;
  /** A header the gateway sets on this request (traffic colouring), replacing the client's fields of that name. */
  private @Nullable String setHeaderName;
  private @Nullable String setHeaderValue;
  private byte @Nullable [] setHeaderLine;

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
  public String clientIp() {
    return clientIp;
  }

  /** Sets the client address that routing, hashing and X-Forwarded-For use. */
  public void setClientIp(String ip) {
    clientIp = ip;
  }

  /**
   * Sets what the client's connection is: its address, its scheme ({@code http} or {@code https}, sent
   * as X-Forwarded-Proto) and the X-Forwarded-Client-Cert field to send for its verified certificate.
   *
   * @param clientCertLine the whole field, {@code X-Forwarded-Client-Cert: ...\r\n}, or null for none
   */
  public void setConnection(String ip, String scheme, byte @Nullable [] clientCertLine) {
    this.clientIp = ip;
    this.scheme = scheme;
    this.clientCertLine = clientCertLine;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  /**
   * Whether a Via field of this request names {@code pseudonym} as a hop ({@code 1.1 pseudonym}): the
   * request has been through this gateway before.
   */
  @Override
  public boolean viaNames(String pseudonym) {
    if (!viaSeen) return false;
    for (int i = 0; i < headerCount; i++) {
      if (fields[i * SLOTS + 4] != HeaderName.VIA) continue;
      String v = headerValue(i);
      int at = v.indexOf(pseudonym);
      while (at >= 0) {
        int end = at + pseudonym.length();
        boolean startsToken = at > 0 && (v.charAt(at - 1) == ' ' || v.charAt(at - 1) == '\t');
        boolean endsToken = end == v.length() || v.charAt(end) == ',' || v.charAt(end) == ' ' || v.charAt(end) == '\t';
        if (startsToken && endsToken) return true;
        at = v.indexOf(pseudonym, end);
      }
    }
    return false;
  }

  /** Length in bytes of the head as received. */
  public int length() {
    return length;
  }

  @Override
  public int headLength() {
    return length;
  }

  @Override
  public String protocol() {
    return http10 ? "HTTP/1.0" : "HTTP/1.1";
  }

  public boolean isHttp10() {
    return http10;
  }

  @Override
  public String authority() {
    return authority;
  }

  /** The body length from Content-Length; -1 when the body is chunked or there is none. */
  @Override
  public long contentLength() {
    return contentLength;
  }

  public boolean isChunked() {
    return chunked;
  }

  @Override
  public boolean bodyChunked() {
    return chunked;
  }

  /** True when the request has a body: chunked, or a Content-Length above zero. */
  @Override
  public boolean hasBody() {
    return chunked || contentLength > 0;
  }

  @Override
  public boolean expectsContinue() {
    return expectContinue;
  }

  /** Whether the client wants the connection kept open after this exchange. */
  public boolean keepAlive() {
    return keepAlive;
  }

  @Override
  public int headerCount() {
    return headerCount;
  }

  public int headerCode(int i) {
    return fields[i * SLOTS + 4];
  }

  /** Name of header field {@code i} as received. */
  @Override
  public String headerName(int i) {
    return Ascii.latin1(bytes, fields[i * SLOTS], fields[i * SLOTS + 1]);
  }

  /** Value of header field {@code i}, without surrounding whitespace. */
  @Override
  public String headerValue(int i) {
    return Ascii.latin1(bytes, fields[i * SLOTS + 2], fields[i * SLOTS + 3]);
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    if (setHeaderName != null && setHeaderName.equals(lowerCaseName)) return setHeaderValue;
    return HeaderFields.value(bytes, fields, headerCount, lowerCaseName);
  }

  /** {@inheritDoc} The encoder writes the header's pre-encoded line in place of the client's fields of that name. */
  @Override
  public void setHeader(Colouring header) {
    setHeaderName = header.lowerCaseName();
    setHeaderValue = header.value();
    setHeaderLine = header.line();
  }

  /** Whether the name of field {@code i} is {@code lowerName} (compared case-insensitively, without building a string). */
  @Override
  public boolean headerNameIs(int i, String lowerName) {
    int ns = fields[i * SLOTS];
    return fields[i * SLOTS + 1] - ns == lowerName.length() && Ascii.equalsIgnoreCase(bytes, ns, lowerName);
  }

  /** Whether field {@code i} is hop-by-hop (Connection, Transfer-Encoding, Keep-Alive, ..., or named in Connection). */
  @Override
  public boolean isHopByHop(int i) {
    int code = fields[i * SLOTS + 4];
    return code == HeaderName.CONNECTION || code == HeaderName.HOP_BY_HOP || code == HeaderName.TRANSFER_ENCODING
        || (connectionTokens != null && isConnectionNominated(i));
  }

  /** High 64 bits of the X-Request-Id the gateway generated for this request; with the low ones 0 when it generated none. */
  @Override
  public long generatedRequestIdHigh() {
    return requestIdHigh;
  }

  /** Low 64 bits of the X-Request-Id the gateway generated for this request. */
  @Override
  public long generatedRequestIdLow() {
    return requestIdLow;
  }

  /** The request target as received, e.g. {@code /a/b?x=1}. */
  public String target() {
    return Ascii.latin1(bytes, targetStart, targetEnd);
  }

  /** Parses {@code bytes[0, length)}: request line, header fields, final CRLF; no leading empty lines. */
  void parse(byte[] b, int len, int maxUriLength, int maxHeaderCount) {
    bytes = b;
    length = len;
    query = null;
    host = "";
    authority = "";
    headerCount = 0;
    contentLength = -1;
    chunked = false;
    expectContinue = false;
    connectionTokens = null;
    setHeaderName = null;
    setHeaderValue = null;
    setHeaderLine = null;
    requestIdHigh = 0;
    requestIdLow = 0;
    viaSeen = false;
    int i = parseRequestLine(b, maxUriLength);
    boolean hostSeen = false;
    boolean closeRequested = false;
    boolean keepAliveRequested = false;
    boolean teSeen = false;
    String[] codings = NO_TOKENS;
    while (true) {
      if (b[i] == '\r') {
        if (b[i + 1] != '\n' || i + 2 != length) throw new HttpParseException(400, "bare CR in request head");
        break;
      }
      if (b[i] == ' ' || b[i] == '\t') {
        throw new HttpParseException(400, "obsolete line folding or whitespace before a header field");
      }
      int ns = i;
      while (Ascii.isTchar(b[i])) i++;
      if (i == ns || b[i] != ':') {
        throw new HttpParseException(400, i == ns ? "invalid header field name" : "invalid character in header field name");
      }
      int ne = i++;
      while (b[i] == ' ' || b[i] == '\t') i++;
      int vs = i;
      while (b[i] != '\r') {
        if (!Ascii.isFieldValueOctet(b[i])) {
          throw new HttpParseException(400, "invalid character in header field value");
        }
        i++;
      }
      int ve = i;
      while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) ve--;
      if (b[i + 1] != '\n') throw new HttpParseException(400, "bare CR in header field");
      i += 2;
      if (headerCount == maxHeaderCount) {
        throw new HttpParseException(431, "more than " + maxHeaderCount + " header fields");
      }
      int code = HeaderName.classify(b, ns, ne);
      addField(ns, ne, vs, ve, code);
      switch (code) {
        case HeaderName.HOST -> {
          if (hostSeen) throw new HttpParseException(400, "more than one Host header field");
          hostSeen = true;
          authority = authorityString(b, vs, ve);
        }
        case HeaderName.CONTENT_LENGTH -> contentLength = parseContentLength(b, vs, ve, contentLength);
        case HeaderName.TRANSFER_ENCODING -> {
          // Several fields are one list (RFC 9110 §5.3): judged as a whole once all are read.
          teSeen = true;
          codings = concat(codings, tokens(b, vs, ve, "Transfer-Encoding"));
        }
        case HeaderName.CONNECTION -> {
          for (String token : tokens(b, vs, ve, "Connection")) {
            switch (token) {
              case "close" -> closeRequested = true;
              case "keep-alive" -> keepAliveRequested = true;
              default -> connectionTokens = append(connectionTokens, token);
            }
          }
        }
        case HeaderName.VIA -> viaSeen = true;
        case HeaderName.EXPECT -> {
          if (ve - vs == 12 && Ascii.equalsIgnoreCase(b, vs, "100-continue")) {
            // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request MUST be ignored.
            expectContinue = !http10;
          } else {
            throw new HttpParseException(417, "unsupported expectation");
          }
        }
        default -> {}
      }
    }
    if (teSeen) {
      if (http10) throw new HttpParseException(400, "Transfer-Encoding in an HTTP/1.0 request");
      if (contentLength >= 0) throw new HttpParseException(400, "both Transfer-Encoding and Content-Length");
      chunked = checkTransferCodings(codings);
    }
    if (!hostSeen && !http10) {
      throw new HttpParseException(400, "missing Host header field");
    }
    resolveTarget(b);
    keepAlive = http10 ? keepAliveRequested && !closeRequested : !closeRequested;
  }

  private int parseRequestLine(byte[] b, int maxUriLength) {
    int i = 0;
    while (Ascii.isTchar(b[i])) i++;
    if (i == 0 || b[i] != ' ') throw new HttpParseException(400, "invalid request method");
    method = method(b, i);
    targetStart = ++i;
    while (b[i] != ' ' && b[i] != '\r') {
      if (!Ascii.isTargetOctet(b[i])) throw new HttpParseException(400, "invalid character in request target");
      i++;
    }
    targetEnd = i;
    if (targetEnd == targetStart) throw new HttpParseException(400, "empty request target");
    if (targetEnd - targetStart > maxUriLength) {
      throw new HttpParseException(414, "request target longer than " + maxUriLength);
    }
    if (b[i] != ' ') throw new HttpParseException(400, "missing HTTP version");
    i++;
    if (i + 10 > length || b[i] != 'H' || b[i + 1] != 'T' || b[i + 2] != 'T' || b[i + 3] != 'P' || b[i + 4] != '/'
        || !isDigit(b[i + 5]) || b[i + 6] != '.' || !isDigit(b[i + 7]) || b[i + 8] != '\r' || b[i + 9] != '\n') {
      throw new HttpParseException(400, "invalid HTTP version");
    }
    if (b[i + 5] != '1' || (b[i + 7] != '1' && b[i + 7] != '0')) {
      throw new HttpParseException(505, "HTTP version not supported");
    }
    http10 = b[i + 7] == '0';
    return i + 10;
  }

  private void resolveTarget(byte[] b) {
    int ts = targetStart;
    int te = targetEnd;
    if (method.equals("CONNECT")) {
      // authority-form (RFC 9112 §3.2.3), CONNECT's only form: host and port, nothing else. The
      // gateway refuses CONNECT itself (405); the target is checked so that it names what it tunnels to.
      String target = Ascii.latin1(b, ts, te);
      int colon = target.lastIndexOf(':');
      if (b[ts] == '/' || colon < 0 || colon == target.length() - 1 || target.endsWith("]")) {
        throw new HttpParseException(400, "CONNECT target must be authority-form");
      }
      authority = target;
      host = hostOf(target);
      path = "/";
      targetVerbatim = false;
      return;
    }
    if (b[ts] != '/') {
      if (te - ts == 1 && b[ts] == '*') {
        if (!method.equals("OPTIONS")) throw new HttpParseException(400, "asterisk-form target outside OPTIONS");
        path = "*";
        targetVerbatim = true;
        host = hostOf(authority);
        return;
      }
      // absolute-form (RFC 9112 §3.2.2): the target's authority replaces Host.
      int p = ts;
      if (te - ts > 7 && Ascii.equalsIgnoreCase(b, ts, "http://")) {
        p = ts + 7;
      } else if (te - ts > 8 && Ascii.equalsIgnoreCase(b, ts, "https://")) {
        p = ts + 8;
      } else {
        throw new HttpParseException(400, "request target must be origin-form or absolute-form");
      }
      int as = p;
      while (p < te && b[p] != '/' && b[p] != '?') p++;
      if (p == as) throw new HttpParseException(400, "absolute-form target without authority");
      authority = Ascii.latin1(b, as, p);
      if (authority.indexOf('@') >= 0) throw new HttpParseException(400, "userinfo in request target");
      ts = p;
    }
    host = hostFor(authority);
    int q = ts;
    while (q < te && b[q] != '?') q++;
    String rawPath = q == ts ? "/" : Ascii.latin1(b, ts, q);
    String decoded = normalizePercentEncoding(rawPath);
    boolean dots = needsDotRemoval(decoded);
    path = dots ? RequestTargets.removeDotSegments(decoded) : decoded;
    targetVerbatim = ts == targetStart && !dots && decoded == rawPath;
    query = q < te ? Ascii.latin1(b, q + 1, te) : null;
  }

  // A keep-alive connection sends the same Host again and again: keep its strings and skip revalidation.
  private byte[] lastAuthorityBytes = new byte[0];
  private String lastAuthority = "";
  private @Nullable String lastHost;

  private String authorityString(byte[] b, int vs, int ve) {
    int n = ve - vs;
    if (n != lastAuthorityBytes.length || !Arrays.equals(b, vs, ve, lastAuthorityBytes, 0, n)) {
      lastAuthorityBytes = Arrays.copyOfRange(b, vs, ve);
      lastAuthority = Ascii.latin1(b, vs, ve);
      lastHost = null;
    }
    return lastAuthority;
  }

  private String hostFor(String authority) {
    if (authority != lastAuthority) return hostOf(authority);
    String h = lastHost;
    if (h == null) {
      h = hostOf(authority);
      lastHost = h;
    }
    return h;
  }

  /** {@link RequestTargets#hostOf(String, String)} (one set of rules for every protocol), refused as this codec's exception. */
  private static String hostOf(String authority) {
    try {
      return RequestTargets.hostOf(authority, "Host header field");
    } catch (RequestRejectedException e) {
      throw new HttpParseException(e.status(), e.getMessage());
    }
  }

  /** {@link RequestTargets#normalizePercentEncoding} (one set of rules for every protocol), refused as this codec's exception. */
  static String normalizePercentEncoding(String p) {
    try {
      return RequestTargets.normalizePercentEncoding(p);
    } catch (RequestRejectedException e) {
      throw new HttpParseException(e.status(), e.getMessage());
    }
  }

  private static boolean needsDotRemoval(String p) {
    return p.indexOf("/.") >= 0;
  }

  private void addField(int ns, int ne, int vs, int ve, int code) {
    fields = HeaderFields.add(fields, headerCount++, ns, ne, vs, ve, code);
  }

  private static long parseContentLength(byte[] b, int vs, int ve, long previous) {
    long value = previous;
    int i = vs;
    // A list of identical values ("5, 5") may be accepted as one (RFC 9112 §6.3); anything else is ambiguous.
    while (true) {
      int ds = i;
      long v = 0;
      while (i < ve && isDigit(b[i])) {
        if (i - ds >= 18) throw new HttpParseException(400, "Content-Length too large");
        v = v * 10 + (b[i] - '0');
        i++;
      }
      if (i == ds) throw new HttpParseException(400, "invalid Content-Length");
      if (value >= 0 && value != v) throw new HttpParseException(400, "differing Content-Length values");
      value = v;
      while (i < ve && (b[i] == ' ' || b[i] == '\t')) i++;
      if (i == ve) return value;
      if (b[i] != ',') throw new HttpParseException(400, "invalid Content-Length");
      i++;
      while (i < ve && (b[i] == ' ' || b[i] == '\t')) i++;
    }
  }

  /** Returns true when the codings (of all Transfer-Encoding fields) are "chunked" alone, the only supported list. */
  private static boolean checkTransferCodings(String[] codings) {
    if (codings.length == 0) throw new HttpParseException(400, "empty Transfer-Encoding");
    if (!codings[codings.length - 1].equals("chunked")) {
      // RFC 9112 §6.3: without chunked last the length cannot be determined.
      throw new HttpParseException(400, "Transfer-Encoding does not end in chunked");
    }
    if (codings.length > 1) throw new HttpParseException(501, "unsupported transfer coding");
    return true;
  }

  /** Splits a comma-separated list of tokens, lower case; empty elements are skipped (RFC 9110 §5.6.1). */
  private static String[] tokens(byte[] b, int vs, int ve, String field) {
    String[] out = NO_TOKENS;
    int i = vs;
    while (i < ve) {
      while (i < ve && (b[i] == ' ' || b[i] == '\t' || b[i] == ',')) i++;
      int s = i;
      while (i < ve && Ascii.isTchar(b[i])) i++;
      if (i > s) out = append(out, Ascii.lowerLatin1(b, s, i));
      while (i < ve && (b[i] == ' ' || b[i] == '\t')) i++;
      if (i < ve && b[i] != ',') throw new HttpParseException(400, "invalid " + field + " header field");
    }
    return out;
  }

  private static final String[] NO_TOKENS = new String[0];

  private static String[] concat(String[] a, String[] b) {
    if (a.length == 0) return b;
    String[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static String[] append(String @Nullable [] a, String s) {
    if (a == null) return new String[] {s};
    String[] r = Arrays.copyOf(a, a.length + 1);
    r[a.length] = s;
    return r;
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static String method(byte[] b, int len) {
    // The common methods map to constants so that no string is built for them.
    if (len == 3 && b[0] == 'G' && b[1] == 'E' && b[2] == 'T') return "GET";
    if (len == 4 && b[0] == 'P' && b[1] == 'O' && b[2] == 'S' && b[3] == 'T') return "POST";
    if (len == 3 && b[0] == 'P' && b[1] == 'U' && b[2] == 'T') return "PUT";
    if (len == 4 && b[0] == 'H' && b[1] == 'E' && b[2] == 'A' && b[3] == 'D') return "HEAD";
    return Ascii.latin1(b, 0, len);
  }

  /**
   * Writes the head to send upstream: HTTP/1.1, {@code path} (with the original query) as target,
   * hop-by-hop fields and those named in Connection removed, Expect removed (the gateway answers
   * 100-continue itself), framing normalised to one Content-Length or chunked, X-Forwarded-For
   * appended to, X-Forwarded-Proto and X-Forwarded-Host set, X-Request-Id kept or added.
   *
   * @param upstreamPath the path to send, or null to send the target as received
   * @param hostOverride the Host to send instead of the client's, or null
   */
  void encodeForUpstream(ByteBuf out, @Nullable String upstreamPath, @Nullable String hostOverride, byte[] viaLine) {
    byte[] b = bytes;
    int methodLength = method.length();
    out.writeBytes(b, 0, methodLength + 1);
    if (upstreamPath == null && targetVerbatim) {
      out.writeBytes(b, targetStart, targetEnd - targetStart);
    } else {
      out.writeCharSequence(upstreamPath != null ? upstreamPath : path, StandardCharsets.ISO_8859_1);
      if (query != null) {
        out.writeByte('?');
        out.writeCharSequence(query, StandardCharsets.ISO_8859_1);
      }
    }
    out.writeBytes(HTTP11_CRLF);
    out.writeBytes(HOST_PREFIX);
    out.writeCharSequence(hostOverride != null ? hostOverride : authority, StandardCharsets.ISO_8859_1);
    out.writeShort(CRLF);
    boolean requestIdSeen = false;
    int xffCount = 0;
    for (int i = 0, n = headerCount * SLOTS; i < n; i += SLOTS) {
      switch (fields[i + 4]) {
        case HeaderName.OTHER, HeaderName.VIA -> {
          if (connectionTokens != null && isConnectionNominated(i / SLOTS)) continue;
          if (setHeaderName != null && HeaderFields.nameIs(b, fields, i / SLOTS, setHeaderName)) continue;
          writeField(out, b, i);
        }
        case HeaderName.X_REQUEST_ID -> {
          requestIdSeen = true;
          writeField(out, b, i);
        }
        case HeaderName.X_FORWARDED_FOR -> xffCount++;
        default -> {}
      }
    }
    out.writeBytes(XFF_PREFIX);
    if (xffCount > 0) {
      for (int i = 0, n = headerCount * SLOTS; i < n; i += SLOTS) {
        if (fields[i + 4] == HeaderName.X_FORWARDED_FOR && fields[i + 3] > fields[i + 2]) {
          out.writeBytes(b, fields[i + 2], fields[i + 3] - fields[i + 2]);
          out.writeBytes(COMMA_SP);
        }
      }
    }
    out.writeCharSequence(clientIp, StandardCharsets.ISO_8859_1);
    out.writeShort(CRLF);
    out.writeBytes(XFP_PREFIX);
    out.writeCharSequence(scheme, StandardCharsets.ISO_8859_1);
    out.writeShort(CRLF);
    if (clientCertLine != null) out.writeBytes(clientCertLine);
    out.writeBytes(viaLine);
    if (!authority.isEmpty()) {
      out.writeBytes(XFH_PREFIX);
      out.writeCharSequence(authority, StandardCharsets.ISO_8859_1);
      out.writeShort(CRLF);
    }
    if (setHeaderLine != null) out.writeBytes(setHeaderLine);
    if (!requestIdSeen) {
      out.writeBytes(REQUEST_ID_PREFIX);
      writeRandomId(out);
      out.writeShort(CRLF);
    }
    if (chunked) {
      out.writeBytes(TE_CHUNKED);
    } else if (contentLength >= 0) {
      out.writeBytes(CONTENT_LENGTH_PREFIX);
      writeDecimal(out, contentLength);
      out.writeShort(CRLF);
    }
    out.writeShort(CRLF);
  }

  /**
   * Like {@link #encodeForUpstream(ByteBuf, String, String, String)}, with what filters changed:
   * the method, target, Host, header edits and, when the body was replaced or buffered, its length.
   * X-Forwarded-For is the received values that {@code edits} kept, the values it added, then the
   * client; X-Forwarded-Proto, X-Forwarded-Host and X-Request-Id that {@code edits} added replace
   * the gateway's.
   *
   * @param path the path to send (already percent-encoded where needed)
   * @param query the raw query to send, or null for none
   * @param bodyLength the length of the body that follows the head, sent as Content-Length; -1 to
   *     frame the body as received; {@link UpstreamRequest#BODY_STREAMED} to send it chunked
   */
  void encodeForUpstream(ByteBuf out, String method, String path, @Nullable String query, String hostHeader,
      byte[] viaLine, HeaderEdits edits, long bodyLength) {
    byte[] b = bytes;
    out.writeCharSequence(method, StandardCharsets.ISO_8859_1);
    out.writeByte(' ');
    out.writeCharSequence(path, StandardCharsets.ISO_8859_1);
    if (query != null && !query.isEmpty()) {
      out.writeByte('?');
      out.writeCharSequence(query, StandardCharsets.ISO_8859_1);
    }
    out.writeBytes(HTTP11_CRLF);
    out.writeBytes(HOST_PREFIX);
    out.writeCharSequence(hostHeader, StandardCharsets.ISO_8859_1);
    out.writeShort(CRLF);
    boolean requestIdSeen = false;
    boolean xffKept = false;
    for (int i = 0, n = headerCount * SLOTS; i < n; i += SLOTS) {
      int code = fields[i + 4];
      if (code != HeaderName.OTHER && code != HeaderName.X_REQUEST_ID && code != HeaderName.X_FORWARDED_FOR
          && code != HeaderName.VIA) {
        continue;
      }
      if (edits.isRemoved(b, fields[i], fields[i + 1])) continue;
      switch (code) {
        case HeaderName.OTHER, HeaderName.VIA -> {
          if (connectionTokens != null && isConnectionNominated(i / SLOTS)) continue;
          if (setHeaderName != null && HeaderFields.nameIs(b, fields, i / SLOTS, setHeaderName)) continue;
          writeField(out, b, i);
        }
        case HeaderName.X_REQUEST_ID -> {
          requestIdSeen = true;
          writeField(out, b, i);
        }
        default -> xffKept = true;
      }
    }
    if (setHeaderLine != null) out.writeBytes(setHeaderLine);
    String xfp = null;
    String xfh = null;
    for (int i = 0; i < edits.addedCount(); i++) {
      switch (edits.addedLowerName(i)) {
        case "x-forwarded-for" -> {}
        case "x-forwarded-proto" -> xfp = edits.addedValue(i);
        case "x-forwarded-host" -> xfh = edits.addedValue(i);
        default -> {
          if (edits.addedLowerName(i).equals("x-request-id")) requestIdSeen = true;
          out.writeCharSequence(edits.addedName(i), StandardCharsets.ISO_8859_1);
          out.writeShort(COLON_SP);
          out.writeCharSequence(edits.addedValue(i), StandardCharsets.ISO_8859_1);
          out.writeShort(CRLF);
        }
      }
    }
    out.writeBytes(XFF_PREFIX);
    if (xffKept) {
      for (int i = 0, n = headerCount * SLOTS; i < n; i += SLOTS) {
        if (fields[i + 4] == HeaderName.X_FORWARDED_FOR && fields[i + 3] > fields[i + 2]) {
          out.writeBytes(b, fields[i + 2], fields[i + 3] - fields[i + 2]);
          out.writeBytes(COMMA_SP);
        }
      }
    }
    for (int i = 0; i < edits.addedCount(); i++) {
      if (edits.addedLowerName(i).equals("x-forwarded-for") && !edits.addedValue(i).isEmpty()) {
        out.writeCharSequence(edits.addedValue(i), StandardCharsets.ISO_8859_1);
        out.writeBytes(COMMA_SP);
      }
    }
    out.writeCharSequence(clientIp, StandardCharsets.ISO_8859_1);
    out.writeShort(CRLF);
    out.writeBytes(XFP_PREFIX);
    out.writeCharSequence(xfp != null ? xfp : scheme, StandardCharsets.ISO_8859_1);
    out.writeShort(CRLF);
    if (clientCertLine != null) out.writeBytes(clientCertLine);
    out.writeBytes(viaLine);
    if (xfh != null || !authority.isEmpty()) {
      out.writeBytes(XFH_PREFIX);
      out.writeCharSequence(xfh != null ? xfh : authority, StandardCharsets.ISO_8859_1);
      out.writeShort(CRLF);
    }
    if (!requestIdSeen) {
      out.writeBytes(REQUEST_ID_PREFIX);
      writeRandomId(out);
      out.writeShort(CRLF);
    }
    if (bodyLength >= 0) {
      out.writeBytes(CONTENT_LENGTH_PREFIX);
      writeDecimal(out, bodyLength);
      out.writeShort(CRLF);
    } else if (chunked || bodyLength == UpstreamRequest.BODY_STREAMED) {
      out.writeBytes(TE_CHUNKED);
    } else if (contentLength >= 0) {
      out.writeBytes(CONTENT_LENGTH_PREFIX);
      writeDecimal(out, contentLength);
      out.writeShort(CRLF);
    }
    out.writeShort(CRLF);
  }

  private void writeField(ByteBuf out, byte[] b, int at) {
    out.writeBytes(b, fields[at], fields[at + 1] - fields[at]);
    out.writeShort(COLON_SP);
    out.writeBytes(b, fields[at + 2], fields[at + 3] - fields[at + 2]);
    out.writeShort(CRLF);
  }

  static void writeDecimal(ByteBuf out, long v) {
    if (v < 10) {
      out.writeByte('0' + (int) v);
    } else {
      out.writeCharSequence(Long.toString(v), StandardCharsets.ISO_8859_1);
    }
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

  /** 32 random hex digits: 128 bits, as unique as a UUID without building one. */
  private void writeRandomId(ByteBuf out) {
    if (requestIdHigh == 0 && requestIdLow == 0) {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      requestIdHigh = r.nextLong();
      requestIdLow = r.nextLong();
    }
    for (int k = 0; k < 2; k++) {
      long v = k == 0 ? requestIdHigh : requestIdLow;
      for (int s = 60; s >= 0; s -= 4) out.writeByte(HEX[(int) (v >>> s) & 0xf]);
    }
  }

  static final int CRLF = 0x0d0a;
  static final int COLON_SP = 0x3a20;
  private static final byte[] HTTP11_CRLF = bytes(" HTTP/1.1\r\n");
  private static final byte[] HOST_PREFIX = bytes("Host: ");
  private static final byte[] XFF_PREFIX = bytes("X-Forwarded-For: ");
  private static final byte[] XFP_PREFIX = bytes("X-Forwarded-Proto: ");
  private static final byte[] XFH_PREFIX = bytes("X-Forwarded-Host: ");
  private static final byte[] REQUEST_ID_PREFIX = bytes("X-Request-Id: ");
  private static final byte[] COMMA_SP = bytes(", ");
  static final byte[] TE_CHUNKED = bytes("Transfer-Encoding: chunked\r\n");
  static final byte[] CONTENT_LENGTH_PREFIX = bytes("Content-Length: ");

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** True when a header named in Connection makes field {@code i} hop-by-hop for this message. */
  boolean isConnectionNominated(int i) {
    return HeaderFields.nameIn(bytes, fields, i, connectionTokens);
  }
}
