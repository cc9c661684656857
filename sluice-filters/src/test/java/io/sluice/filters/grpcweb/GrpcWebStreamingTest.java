package io.sluice.filters.grpcweb;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.testing.ClientResponse;
import io.sluice.filter.testing.FilterHarness;
import io.sluice.filter.testing.TestExchange;
import io.sluice.filter.testing.TestRequest;
import io.sluice.filter.testing.TestResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code grpc-web} filter's text mode over bodies cut at every point, in memory. */
class GrpcWebStreamingTest {
  private static FilterHarness harness() {
    return FilterHarness.builder(new GrpcWebFilterFactory()).config("{}").build();
  }

  /** A frame whose bytes are all ASCII (payload under 128 bytes), so it can be given as text. */
  private static String frame(int flags, String payload) {
    return (char) flags + "\0\0\0" + (char) payload.length() + payload;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(List<byte[]> pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    pieces.forEach(out::writeBytes);
    return out.toByteArray();
  }

  @Test
  void textRequestDecodesToTheSameMessagesWhereverItsBase64IsCut() {
    String messages = frame(0, "hello gRPC-Web") + frame(0, "two");
    // one segment, and the same messages as two separately padded segments
    String oneSegment = Base64.getEncoder().encodeToString(bytes(messages));
    String twoSegments = Base64.getEncoder().encodeToString(bytes(frame(0, "hello gRPC-Web")))
        + Base64.getEncoder().encodeToString(bytes(frame(0, "two")));
    try (FilterHarness h = harness()) {
      for (String text : List.of(oneSegment, twoSegments)) {
        for (int cut = 1; cut < text.length(); cut++) {
          for (int cut2 = cut; cut2 < Math.min(text.length(), cut + 3); cut2++) {
            TestExchange x = h.run(TestRequest.builder("POST", "/test.Echo/Unary")
                .header("content-type", "application/grpc-web-text")
                .bodyChunks(text.substring(0, cut), text.substring(cut, cut2), text.substring(cut2)).build());
            assertThat(x.upstreamRequest().header("content-type")).isEqualTo("application/grpc");
            assertThat(concat(x.requestBodyPieces())).as("cut at %d and %d", cut, cut2).isEqualTo(bytes(messages));
          }
        }
      }
    }
  }

  @Test
  void textResponseIsEncodedInWholeGroupsAndEndsWithTheTrailerFrame() {
    String messages = frame(0, "echo:one") + frame(0, "echo:two");
    try (FilterHarness h = harness()) {
      for (int cut = 1; cut < messages.length(); cut++) {
        TestExchange x = h.run(TestRequest.builder("POST", "/test.Echo/Repeat")
            .header("content-type", "application/grpc-web-text+proto").body(bytes("AAAAAAA=")).build());
        ClientResponse r = x.upstreamResponds(TestResponse.builder(200).header("content-type", "application/grpc+proto")
            .bodyChunks(messages.substring(0, cut), messages.substring(cut))
            .trailer("grpc-status", "0").trailer("x-cost", "3").build());
        assertThat(r.header("content-type")).isEqualTo("application/grpc-web-text+proto");
        for (byte[] piece : x.responseBodyPieces()) assertThat(piece.length % 4).as("cut at %d", cut).isZero();
        assertThat(new String(concat(x.responseBodyPieces()), StandardCharsets.US_ASCII)).as("cut at %d", cut).isEqualTo(
            Base64.getEncoder().encodeToString(bytes(messages))
                + Base64.getEncoder().encodeToString(bytes(frame(0x80, "grpc-status:0\r\nx-cost:3\r\n"))));
        assertThat(x.responseTrailers()).isEmpty();
      }
    }
  }
}
