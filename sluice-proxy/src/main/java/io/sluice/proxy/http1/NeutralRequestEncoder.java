package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.RequestMessage;
import io.sluice.proxy.message.UpstreamRequest;
import io.sluice.proxy.route.split.Colouring;
import java.nio.charset.StandardCharsets;

/**
 * Encodes, as an HTTP/1.1 request head, an {@link UpstreamRequest} whose received head another
 * protocol read (HTTP/2): from the {@link RequestMessage}'s neutral accessors, with the forwarding
 * policy {@link RequestHead#encodeForUpstream} applies to HTTP/1.1 heads: Host first, the received
 * fields in order without the hop-by-hop ones, the framing fields (Host, Content-Length,
 * Transfer-Encoding) and the client's X-Forwarded-Proto/-Host/-Client-Cert; the filters' edits;
 * X-Forwarded-For appended to; X-Forwarded-Proto, X-Forwarded-Client-Cert, Via and X-Forwarded-Host
 * set; X-Request-Id kept or generated. A body whose length is not known up front goes chunked.
 *
 * <p>Stateless; the caller's event loop.
 */
final class NeutralRequestEncoder {
  private NeutralRequestEncoder() {}

  static ByteBuf encode(ByteBufAllocator alloc, UpstreamRequest r) {
    RequestMessage h = r.received();
    HeaderEdits edits = r.edits();
    ByteBuf out = alloc.ioBuffer(h.headLength() + 256 + 64 * edits.addedCount());
    ascii(out, r.method());
    out.writeByte(' ');
    String path = r.path();
    ascii(out, path != null ? path : h.path());
    String query = r.query();
    if (query != null && !query.isEmpty()) {
      out.writeByte('?');
      ascii(out, query);
    }
    ascii(out, " HTTP/1.1\r\nHost: ");
    ascii(out, r.authority());
    crlf(out);
    Colouring colour = h.setHeaderField();
    boolean requestIdSeen = false;
    boolean xffKept = false;
    for (int i = 0; i < h.headerCount(); i++) {
      if (h.isHopByHop(i)) continue;
      String name = h.headerName(i);
      String lower = name.toLowerCase(java.util.Locale.ROOT);
      switch (lower) {
        case "host", "content-length", "transfer-encoding", "x-forwarded-proto", "x-forwarded-host",
            "x-forwarded-client-cert" -> {
          continue;
        }
        default -> {}
      }
      if (edits.isRemoved(lower)) continue;
      if (lower.equals("x-forwarded-for")) {
        xffKept = true;
        continue;
      }
      if (colour != null && lower.equals(colour.lowerCaseName())) continue;
      if (lower.equals("x-request-id")) requestIdSeen = true;
      field(out, name, h.headerValue(i));
    }
    if (colour != null) out.writeBytes(colour.line());
    String xfp = null;
    String xfh = null;
    for (int i = 0; i < edits.addedCount(); i++) {
      switch (edits.addedLowerName(i)) {
        case "x-forwarded-for" -> {}
        case "x-forwarded-proto" -> xfp = edits.addedValue(i);
        case "x-forwarded-host" -> xfh = edits.addedValue(i);
        default -> {
          if (edits.addedLowerName(i).equals("x-request-id")) requestIdSeen = true;
          field(out, edits.addedName(i), edits.addedValue(i));
        }
      }
    }
    ascii(out, "X-Forwarded-For: ");
    if (xffKept) {
      for (int i = 0; i < h.headerCount(); i++) {
        if (h.headerNameIs(i, "x-forwarded-for") && !h.headerValue(i).isEmpty()) {
          ascii(out, h.headerValue(i));
          ascii(out, ", ");
        }
      }
    }
    for (int i = 0; i < edits.addedCount(); i++) {
      if (edits.addedLowerName(i).equals("x-forwarded-for") && !edits.addedValue(i).isEmpty()) {
        ascii(out, edits.addedValue(i));
        ascii(out, ", ");
      }
    }
    ascii(out, h.clientIp());
    crlf(out);
    ascii(out, "X-Forwarded-Proto: ");
    ascii(out, xfp != null ? xfp : h.scheme());
    crlf(out);
    byte[] cert = h.forwardedClientCertLine();
    if (cert != null) out.writeBytes(cert);
    out.writeBytes(r.viaLine());
    if (xfh != null || !h.authority().isEmpty()) {
      ascii(out, "X-Forwarded-Host: ");
      ascii(out, xfh != null ? xfh : h.authority());
      crlf(out);
    }
    if (!requestIdSeen && (h.generatedRequestIdHigh() != 0 || h.generatedRequestIdLow() != 0)) {
      ascii(out, "X-Request-Id: ");
      hex(out, h.generatedRequestIdHigh());
      hex(out, h.generatedRequestIdLow());
      crlf(out);
    }
    long bodyLength = r.bodyLength();
    if (bodyLength >= 0) {
      ascii(out, "Content-Length: ");
      ascii(out, Long.toString(bodyLength));
      crlf(out);
    } else if (bodyLength == UpstreamRequest.BODY_STREAMED || h.bodyChunked()) {
      out.writeBytes(RequestHead.TE_CHUNKED);
    } else if (h.hasBody() && h.contentLength() >= 0) {
      ascii(out, "Content-Length: ");
      ascii(out, Long.toString(h.contentLength()));
      crlf(out);
    }
    crlf(out);
    return out;
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

  private static void hex(ByteBuf out, long v) {
    for (int s = 60; s >= 0; s -= 4) out.writeByte(HEX[(int) (v >>> s) & 0xf]);
  }

  private static void field(ByteBuf out, String name, String value) {
    ascii(out, name);
    out.writeShort(RequestHead.COLON_SP);
    ascii(out, value);
    crlf(out);
  }

  private static void ascii(ByteBuf out, String s) {
    out.writeCharSequence(s, StandardCharsets.ISO_8859_1);
  }

  private static void crlf(ByteBuf out) {
    out.writeShort(RequestHead.CRLF);
  }
}
