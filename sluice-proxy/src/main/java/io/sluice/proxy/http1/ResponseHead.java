package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.ResponseMessage;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The head of an upstream's HTTP/1.x response, read incrementally from the upstream connection.
 * An upstream that breaks the grammar gets its response refused with 502 rather than passed on.
 *
 * <p>Threading and lifetime: one instance per upstream connection, reused for each response; values
 * are valid until the next response head is read.
 */
public final class ResponseHead implements ResponseMessage {
  private static final int SLOTS = HeaderFields.SLOTS;

  byte[] bytes = new byte[512];
  int length;
  int status;
  boolean http10;
  /** Offset of the status code in the status line. */
  int statusStart;
  /** Offset of the CR that ends the status line. */
  int statusLineEnd;
  int headerCount;
  int[] fields = new int[16 * SLOTS];
  long contentLength;
  boolean chunked;
  boolean transferEncoded;
  boolean closeRequested;
  boolean keepAliveRequested;
  String @Nullable [] connectionTokens;
  private int scanned;

  /** Length in bytes of the head as received. */
  public int length() {
    return length;
  }

  @Override
  public int status() {
    return status;
  }

  public boolean isHttp10() {
    return http10;
  }

  public long contentLength() {
    return contentLength;
  }

  @Override
  public long bodyLength() {
    return chunked || transferEncoded ? -1 : contentLength;
  }

  public boolean isChunked() {
    return chunked;
  }

  @Override
  public boolean bodyChunked() {
    return chunked;
  }

  /** Transfer-Encoding other than chunked last: the body ends when the connection closes. */
  public boolean isTransferEncodedUntilClose() {
    return transferEncoded && !chunked;
  }

  /** True when the upstream will keep the connection open after this response. */
  public boolean upstreamKeepsAlive() {
    return http10 ? keepAliveRequested && !closeRequested : !closeRequested;
  }

  @Override
  public int headerCount() {
    return headerCount;
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

  /** The first value of a header (name in lower case), or null. */
  @Override
  public @Nullable String header(String lowerCaseName) {
    return HeaderFields.value(bytes, fields, headerCount, lowerCaseName);
  }

  /**
   * Reads the next response head from {@code in}, consuming it; returns false when more bytes are
   * needed.
   *
   * @throws HttpParseException with status 502 when the response is malformed or too large
   */
  public boolean read(ByteBuf in, int maxSize) {
    int start = in.readerIndex();
    int end = in.writerIndex();
    int pos = start + scanned;
    while (pos < end) {
      int lf = in.indexOf(pos, end, (byte) '\n');
      if (lf < 0) break;
      if (lf == start || in.getByte(lf - 1) != '\r') throw bad("bare LF in response head");
      if (lf - start >= 3 && in.getByte(lf - 2) == '\n') {
        int total = lf + 1 - start;
        if (total > maxSize) throw bad("response head larger than " + maxSize + " bytes");
        if (bytes.length < total) bytes = new byte[Math.max(total, bytes.length * 2)];
        in.getBytes(start, bytes, 0, total);
        in.readerIndex(lf + 1);
        scanned = 0;
        parse(total);
        return true;
      }
      pos = lf + 1;
    }
    scanned = end - start;
    if (scanned > maxSize) throw bad("response head larger than " + maxSize + " bytes");
    return false;
  }

  private void parse(int len) {
    byte[] b = bytes;
    length = len;
    headerCount = 0;
    contentLength = -1;
    chunked = false;
    transferEncoded = false;
    closeRequested = false;
    keepAliveRequested = false;
    connectionTokens = null;
    if (len < 14 || b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/' || b[5] != '1'
        || b[6] != '.' || (b[7] != '1' && b[7] != '0') || b[8] != ' ') {
      throw bad("invalid status line");
    }
    http10 = b[7] == '0';
    statusStart = 9;
    int s = 0;
    for (int i = 9; i < 12; i++) {
      if (b[i] < '0' || b[i] > '9') throw bad("invalid status code");
      s = s * 10 + (b[i] - '0');
    }
    // RFC 9110 §15: a status code is three digits from 100 to 599; anything else says nothing a
    // client could act on, so it is the upstream breaking the protocol, not a status to relay.
    if (s < 100 || s > 599) throw bad("status code " + Ascii.latin1(b, 9, 12) + " outside 100-599");
    status = s;
    int i = 12;
    if (b[i] != ' ' && b[i] != '\r') throw bad("invalid status line");
    while (b[i] != '\r') {
      if (!Ascii.isFieldValueOctet(b[i])) throw bad("invalid reason phrase");
      i++;
    }
    statusLineEnd = i;
    if (b[i + 1] != '\n') throw bad("bare CR in status line");
    i += 2;
    while (b[i] != '\r') {
      int ns = i;
      while (Ascii.isTchar(b[i])) i++;
      if (i == ns || b[i] != ':') throw bad("invalid header field name in response");
      int ne = i++;
      while (b[i] == ' ' || b[i] == '\t') i++;
      int vs = i;
      while (b[i] != '\r') {
        if (!Ascii.isFieldValueOctet(b[i])) throw bad("invalid header field value in response");
        i++;
      }
      int ve = i;
      while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) ve--;
      if (b[i + 1] != '\n') throw bad("bare CR in response head");
      i += 2;
      int code = HeaderName.classify(b, ns, ne);
      fields = HeaderFields.add(fields, headerCount++, ns, ne, vs, ve, code);
      switch (code) {
        case HeaderName.CONTENT_LENGTH -> contentLength = contentLength(b, vs, ve, contentLength);
        case HeaderName.TRANSFER_ENCODING -> {
          transferEncoded = true;
          // RFC 9112 §6.3: chunked must be the final coding for the length to be known.
          int ts = ve - 7;
          chunked = ts >= vs && Ascii.equalsIgnoreCase(b, ts, "chunked") && (ts == vs || b[ts - 1] == ' '
              || b[ts - 1] == ',' || b[ts - 1] == '\t');
        }
        case HeaderName.CONNECTION -> connectionTokens(b, vs, ve);
        default -> {}
      }
    }
    if (b[i + 1] != '\n' || i + 2 != len) throw bad("bare CR in response head");
  }

  private void connectionTokens(byte[] b, int vs, int ve) {
    int i = vs;
    while (i < ve) {
      while (i < ve && (b[i] == ' ' || b[i] == '\t' || b[i] == ',')) i++;
      int s = i;
      while (i < ve && b[i] != ',' && b[i] != ' ' && b[i] != '\t') i++;
      if (i == s) continue;
      // The two tokens nearly every upstream sends are recognised in place: no string per response.
      if (i - s == 10 && Ascii.equalsIgnoreCase(b, s, "keep-alive")) {
        keepAliveRequested = true;
        continue;
      }
      if (i - s == 5 && Ascii.equalsIgnoreCase(b, s, "close")) {
        closeRequested = true;
        continue;
      }
      String[] t = connectionTokens;
      t = t == null ? new String[1] : Arrays.copyOf(t, t.length + 1);
      t[t.length - 1] = Ascii.lowerLatin1(b, s, i);
      connectionTokens = t;
    }
  }

  /**
   * Writes the head to send downstream: status line as HTTP/1.1 with the upstream's code and reason,
   * hop-by-hop fields and those named in Connection removed, framing as decided by the caller.
   *
   * @param chunked the body is forwarded with its chunked framing (the upstream's Transfer-Encoding
   *     field is passed on as it is, codings and all); false for an HTTP/1.0 client, which gets the
   *     chunk framing removed and the field dropped
   * @param close the gateway closes the client connection after this response
   * @param keepAliveHeader announce keep-alive (for an HTTP/1.0 client that asked for it)
   */
  public void encodeForDownstream(ByteBuf out, boolean chunked, boolean close, boolean keepAliveHeader) {
    encodeForDownstream(out, chunked, close, keepAliveHeader, null);
  }

  /**
   * Like {@link #encodeForDownstream(ByteBuf, boolean, boolean, boolean)}, with the header edits of
   * the response filters: received fields they removed are left out, the fields they added are
   * written after the received ones.
   */
  public void encodeForDownstream(ByteBuf out, boolean chunked, boolean close, boolean keepAliveHeader,
      @Nullable HeaderEdits edits) {
    encodeForDownstream(out, chunked, close, keepAliveHeader, edits, false);
  }

  /**
   * Like {@link #encodeForDownstream(ByteBuf, boolean, boolean, boolean, HeaderEdits)}, for a body
   * whose length may change on the way ({@code lengthChanges}: streaming filters): the received
   * Content-Length is left out, and {@code chunked} announces chunks even when the upstream's body
   * was not chunked.
   */
  public void encodeForDownstream(ByteBuf out, boolean chunked, boolean close, boolean keepAliveHeader,
      @Nullable HeaderEdits edits, boolean lengthChanges) {
    byte[] b = bytes;
    out.writeBytes(HTTP11_SP);
    out.writeBytes(b, statusStart, statusLineEnd - statusStart);
    out.writeShort(RequestHead.CRLF);
    for (int i = 0, n = headerCount * SLOTS; i < n; i += SLOTS) {
      int code = fields[i + 4];
      if (code == HeaderName.CONNECTION || code == HeaderName.HOP_BY_HOP
          || (code == HeaderName.TRANSFER_ENCODING && this.chunked && !chunked)
          || (code == HeaderName.CONTENT_LENGTH && (chunked || transferEncoded || lengthChanges))) {
        continue;
      }
      if (connectionTokens != null && isConnectionNominated(i / SLOTS)) continue;
      if (edits != null && edits.isRemoved(b, fields[i], fields[i + 1])) continue;
      out.writeBytes(b, fields[i], fields[i + 1] - fields[i]);
      out.writeShort(RequestHead.COLON_SP);
      out.writeBytes(b, fields[i + 2], fields[i + 3] - fields[i + 2]);
      out.writeShort(RequestHead.CRLF);
    }
    if (edits != null) {
      for (int i = 0; i < edits.addedCount(); i++) {
        out.writeCharSequence(edits.addedName(i), java.nio.charset.StandardCharsets.ISO_8859_1);
        out.writeShort(RequestHead.COLON_SP);
        out.writeCharSequence(edits.addedValue(i), java.nio.charset.StandardCharsets.ISO_8859_1);
        out.writeShort(RequestHead.CRLF);
      }
    }
    if (chunked && !this.chunked) out.writeBytes(RequestHead.TE_CHUNKED);
    if (close) {
      out.writeBytes(CONNECTION_CLOSE);
    } else if (keepAliveHeader) {
      out.writeBytes(CONNECTION_KEEP_ALIVE);
    }
    out.writeShort(RequestHead.CRLF);
  }

  private static final byte[] HTTP11_SP = RequestHead.bytes("HTTP/1.1 ");
  private static final byte[] CONNECTION_CLOSE = RequestHead.bytes("Connection: close\r\n");
  private static final byte[] CONNECTION_KEEP_ALIVE = RequestHead.bytes("Connection: keep-alive\r\n");

  boolean isConnectionNominated(int i) {
    return HeaderFields.nameIn(bytes, fields, i, connectionTokens);
  }

  private static long contentLength(byte[] b, int vs, int ve, long previous) {
    long v = 0;
    int i = vs;
    while (i < ve && b[i] >= '0' && b[i] <= '9') {
      if (i - vs >= 18) throw bad("Content-Length too large in response");
      v = v * 10 + (b[i] - '0');
      i++;
    }
    if (i == vs || i != ve) throw bad("invalid Content-Length in response");
    if (previous >= 0 && previous != v) throw bad("differing Content-Length values in response");
    return v;
  }

  private static HttpParseException bad(String message) {
    return new HttpParseException(502, message);
  }

  /** Forgets a partly scanned head. */
  public void reset() {
    scanned = 0;
  }
}
