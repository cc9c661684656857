package io.sluice.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.proxy.http2.Http2RequestHead;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.ResponseMessage;
import io.sluice.proxy.message.UpstreamRequest;
import io.sluice.proxy.route.split.Colouring;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The HTTP/1.1 codec at the protocol-neutral heads: what it encodes of an {@link UpstreamRequest}, and of a head another protocol made. */
class CodecEdgesTest {
  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
  private static final byte[] VIA = "Via: 1.1 edge\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private static RequestHead read(String head) {
    ByteBuf in = Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1);
    try {
      RequestHead h = new RequestHeadReader().read(in, 8192, 1024, 100);
      assertThat(h).isNotNull();
      h.setConnection("10.0.0.9", "https", null);
      return h;
    } finally {
      in.release();
    }
  }

  private static String text(ByteBuf b) {
    try {
      return b.toString(StandardCharsets.ISO_8859_1);
    } finally {
      b.release();
    }
  }

  @Test
  void anUneditedRequestKeepsItsTargetAndGetsTheForwardingFields() {
    RequestHead h = read("GET /a/b?x=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n"
        + "X-Forwarded-For: 192.0.2.1\r\nX-Request-Id: abc\r\nAccept: */*\r\n\r\n");
    UpstreamRequest u = new UpstreamRequest().reset(h, null, null, VIA);
    assertThat(u.isEdited()).isFalse();
    assertThat(text(RequestEncoder.encode(ALLOC, u))).isEqualTo("GET /a/b?x=1 HTTP/1.1\r\nHost: shop.example\r\n"
        + "X-Request-Id: abc\r\nAccept: */*\r\nX-Forwarded-For: 192.0.2.1, 10.0.0.9\r\nX-Forwarded-Proto: https\r\n"
        + "Via: 1.1 edge\r\nX-Forwarded-Host: shop.example\r\n\r\n");
  }

  @Test
  void theRoutesRewritesAndTheFiltersEditsAreEncoded() {
    RequestHead h = read("POST /old?q=1 HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 3\r\nX-Drop: me\r\nX-Request-Id: abc\r\n\r\n");
    h.setHeader(new Colouring("x-colour", "blue", "X-Colour: blue\r\n".getBytes(StandardCharsets.ISO_8859_1)));
    HeaderEdits edits = new HeaderEdits();
    edits.remove("x-drop");
    edits.add("X-Added", "x-added", "yes");
    UpstreamRequest u = new UpstreamRequest().reset(h, "/new", "backend.internal", VIA);
    u.edit("PUT", null, true, "z=2", null, edits, 5);
    assertThat(u.isEdited()).isTrue();
    assertThat(text(RequestEncoder.encode(ALLOC, u))).isEqualTo("PUT /new?z=2 HTTP/1.1\r\nHost: backend.internal\r\n"
        + "X-Request-Id: abc\r\nX-Colour: blue\r\nX-Added: yes\r\nX-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: https\r\n"
        + "Via: 1.1 edge\r\nX-Forwarded-Host: shop.example\r\nContent-Length: 5\r\n\r\n");
  }

  @Test
  void aRequestAnotherProtocolReadIsEncodedFromItsNeutralAccessorsWithTheSameForwardingPolicy() {
    Http2Headers h2 = new DefaultHttp2Headers().method("POST").path("/p?q=1").scheme("https").authority("shop.example")
        .add("cookie", "a=1").add("x-forwarded-for", "1.2.3.4").add("cookie", "b=2").add("x-request-id", "abc")
        .add("te", "trailers").add("x-forwarded-proto", "spoofed");
    UpstreamRequest u = new UpstreamRequest().reset(new Http2RequestHead(h2, false, "https", "10.0.0.9", null), null, null, VIA);
    assertThat(text(RequestEncoder.encode(ALLOC, u))).isEqualTo("POST /p?q=1 HTTP/1.1\r\nHost: shop.example\r\n"
        + "cookie: a=1; b=2\r\nx-request-id: abc\r\nX-Forwarded-For: 1.2.3.4, 10.0.0.9\r\nX-Forwarded-Proto: https\r\n"
        + "Via: 1.1 edge\r\nX-Forwarded-Host: shop.example\r\nTransfer-Encoding: chunked\r\n\r\n");
  }

  @Test
  void aResponseHeadOfAnotherProtocolIsEncodedWithoutItsHopByHopFieldsAndWithTheEdits() {
    ResponseMessage head = response(200, 5, List.of("content-type", "text/plain", "connection", "x", "content-length", "5",
        "x-remove", "1"));
    HeaderEdits edits = new HeaderEdits();
    edits.remove("x-remove");
    edits.add("X-Edited", "x-edited", "1");
    assertThat(text(ResponseEncoder.encode(ALLOC, head, edits, true, false, true))).isEqualTo("HTTP/1.1 200 OK\r\n"
        + "content-type: text/plain\r\ncontent-length: 5\r\nX-Edited: 1\r\nConnection: keep-alive\r\n\r\n");
  }

  @Test
  void aResponseHeadWhoseLengthIsUnknownLosesAnyContentLengthAndCloses() {
    ResponseMessage head = response(599, -1, List.of("content-length", "10", "server", "up"));
    assertThat(text(ResponseEncoder.encode(ALLOC, head, null, false, true, false)))
        .isEqualTo("HTTP/1.1 599 Status 599\r\nserver: up\r\nConnection: close\r\n\r\n");
  }

  private static ResponseMessage response(int status, long length, List<String> fields) {
    return new ResponseMessage() {
      @Override public int status() { return status; }
      @Override public long bodyLength() { return length; }
      @Override public boolean bodyChunked() { return false; }
      @Override public int headerCount() { return fields.size() / 2; }
      @Override public String headerName(int i) { return fields.get(2 * i); }
      @Override public String headerValue(int i) { return fields.get(2 * i + 1); }
      @Override public boolean headerNameIs(int i, String lower) { return headerName(i).toLowerCase(Locale.ROOT).equals(lower); }
      @Override public boolean isHopByHop(int i) { return headerNameIs(i, "connection"); }
      @Override public @Nullable String header(String lower) {
        for (int i = 0; i < headerCount(); i++) if (headerNameIs(i, lower)) return headerValue(i);
        return null;
      }
    };
  }
}
