package io.sluice.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Http2UpstreamHeadsTest {
  private static Http2UpstreamHeads.Request convert(String head, boolean teTrailers) {
    ByteBuf buf = Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1);
    try {
      return Http2UpstreamHeads.of(buf, "http", teTrailers);
    } finally {
      buf.release();
    }
  }

  @Test
  void sendsTeTrailersWithEveryGrpcRequestEvenWhenTheClientDidNotAskForIt() {
    // A gRPC-Web call from an HTTP/1.1 browser, turned into gRPC by a filter: no TE from the client.
    Http2UpstreamHeads.Request r = convert("POST /test.Echo/Unary HTTP/1.1\r\nHost: a\r\ncontent-type: application/grpc+proto\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n", false);
    assertThat(r.headers().get("te")).hasToString("trailers");
    assertThat(r.headers().get("content-type")).hasToString("application/grpc+proto");
  }

  @Test
  void sendsNoTeWithOtherRequestsUnlessTheClientSentTrailers() {
    assertThat(convert("POST /x HTTP/1.1\r\nHost: a\r\ncontent-type: application/grpc-web\r\nTE: trailers\r\n\r\n", false)
        .headers().get("te")).isNull();
    assertThat(convert("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", true).headers().get("te")).hasToString("trailers");
  }
}
