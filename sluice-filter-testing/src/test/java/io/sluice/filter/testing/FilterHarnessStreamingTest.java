package io.sluice.filter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.filter.BodyChunk;
import io.sluice.filter.ChunkResult;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** {@link FilterHarness} driving {@link Filter#onRequestChunk} and {@link Filter#onResponseChunk}. */
class FilterHarnessStreamingTest {
  /** A streaming filter made of a function, recording each chunk it saw ({@code text} or {@code text|last}). */
  private static final class Streamer implements Filter {
    final List<String> seen = new CopyOnWriteArrayList<>();
    final long requestLimit;
    final long responseLimit;
    final BiFunction<Exchange, BodyChunk, ChunkResult> onChunk;

    Streamer(long requestLimit, long responseLimit, BiFunction<Exchange, BodyChunk, ChunkResult> onChunk) {
      this.requestLimit = requestLimit;
      this.responseLimit = responseLimit;
      this.onChunk = onChunk;
    }

    @Override
    public long streamRequestBody() {
      return requestLimit;
    }

    @Override
    public long streamResponseBody() {
      return responseLimit;
    }

    @Override
    public ChunkResult onRequestChunk(Exchange x, BodyChunk chunk) {
      seen.add(text(chunk) + (chunk.isLast() ? "|last" : ""));
      return onChunk.apply(x, chunk);
    }

    @Override
    public ChunkResult onResponseChunk(Exchange x, BodyChunk chunk) {
      seen.add(text(chunk) + (chunk.isLast() ? "|last" : ""));
      return onChunk.apply(x, chunk);
    }
  }

  private static String text(BodyChunk chunk) {
    ByteBuffer b = chunk.data();
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return new String(a, StandardCharsets.UTF_8);
  }

  /** Upper-cases each chunk and, at the end, adds the trailer X-Bytes with the length it saw. */
  private static ChunkResult upperAndCount(Exchange x, BodyChunk chunk) {
    chunk.replace(text(chunk).toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
    if (chunk.isLast()) chunk.trailers().add("X-Last", "yes");
    return ChunkResult.CONTINUE;
  }

  private static List<String> texts(List<byte[]> pieces) {
    return pieces.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
  }

  @Test
  void requestChunksGoThroughTheFilterAndUpstreamChunkedWithTheirTrailers() {
    Streamer f = new Streamer(1024, 0, FilterHarnessStreamingTest::upperAndCount);
    try (FilterHarness h = FilterHarness.of(f)) {
      TestExchange x = h.run(TestRequest.builder("POST", "/a").bodyChunks("ab", "cd").trailer("X-Client", "1").build());
      assertThat(f.seen).containsExactly("ab", "cd", "|last");
      UpstreamRequest up = x.upstreamRequest();
      assertThat(up.bodyText()).isEqualTo("ABCD");
      assertThat(up.header("Transfer-Encoding")).isEqualTo("chunked");
      assertThat(up.header("Content-Length")).isNull();
      assertThat(texts(x.requestBodyPieces())).containsExactly("AB", "CD");
      assertThat(x.requestTrailers()).containsExactly(new HeaderField("X-Client", "1"), new HeaderField("X-Last", "yes"));
    }
  }

  @Test
  void aPausedChunkIsHandedBackJoinedToTheNextUntilTheFilterLetsItGo() {
    Streamer f = new Streamer(1024, 0, (x, c) -> c.isLast() ? ChunkResult.CONTINUE : ChunkResult.PAUSE);
    try (FilterHarness h = FilterHarness.of(f)) {
      TestExchange x = h.run(TestRequest.builder("POST", "/a").bodyChunks("ab", "cd").build());
      assertThat(f.seen).containsExactly("ab", "abcd", "abcd|last");
      assertThat(texts(x.requestBodyPieces())).containsExactly("abcd");
      assertThat(x.upstreamRequest().bodyText()).isEqualTo("abcd");
    }
  }

  @Test
  void holdingMoreThanTheDeclaredLimitGets413() {
    Streamer f = new Streamer(3, 0, (x, c) -> ChunkResult.PAUSE);
    try (FilterHarness h = FilterHarness.of(f)) {
      TestExchange x = h.run(TestRequest.builder("POST", "/a").bodyChunks("ab", "cd").build());
      assertThat(x.answered()).isTrue();
      assertThat(x.response().status()).isEqualTo(413);
      assertThat(x.response().header("X-Sluice-Reason")).isEqualTo("request_body_too_large");
      assertThat(x.response().bodyText()).contains("larger than its limit of 3 bytes");
    }
  }

  @Test
  void aRequestChunkThatThrowsGets500FilterError() {
    IllegalStateException boom = new IllegalStateException("boom");
    Streamer f = new Streamer(1024, 0, (x, c) -> {
      throw boom;
    });
    try (FilterHarness h = FilterHarness.of(f)) {
      TestExchange x = h.run(TestRequest.builder("POST", "/a").body("text/plain", "abc").build());
      assertThat(x.answered()).isTrue();
      assertThat(x.response().status()).isEqualTo(500);
      assertThat(x.response().header("X-Sluice-Reason")).isEqualTo("filter_error");
      assertThat(x.failures()).containsExactly(boom);
    }
  }

  @Test
  void responseChunksGoThroughTheFilterAndToTheClientChunkedWithTheirTrailers() {
    Streamer f = new Streamer(0, 1024, FilterHarnessStreamingTest::upperAndCount);
    try (FilterHarness h = FilterHarness.of(f)) {
      TestExchange x = h.run(TestRequest.get("/a"));
      ClientResponse r = x.upstreamResponds(TestResponse.builder(200).header("Content-Type", "text/plain")
          .bodyChunks("he", "llo").trailer("X-Up", "1").build());
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("HELLO");
      assertThat(r.headers()).containsExactly(new HeaderField("Content-Type", "text/plain"),
          new HeaderField("Transfer-Encoding", "chunked"));
      assertThat(texts(x.responseBodyPieces())).containsExactly("HE", "LLO");
      assertThat(x.responseTrailers()).containsExactly(new HeaderField("X-Up", "1"), new HeaderField("X-Last", "yes"));
      assertThat(x.responseCutShort()).isFalse();
    }
  }

  @Test
  void headAndNoContentResponsesAndBodylessRequestsGetNoChunkCalls() {
    Streamer f = new Streamer(1024, 1024, FilterHarnessStreamingTest::upperAndCount);
    try (FilterHarness h = FilterHarness.of(f)) {
      TestExchange head = h.run(TestRequest.builder("HEAD", "/a").build());
      assertThat(head.upstreamResponds(TestResponse.builder(200).body("text/plain", "hello").build()).header("Content-Length"))
          .isEqualTo("5");
      TestExchange none = h.run(TestRequest.get("/a"));
      assertThat(none.upstreamResponds(TestResponse.of(204)).status()).isEqualTo(204);
      assertThat(f.seen).isEmpty();
      assertThatThrownBy(none::responseBodyPieces).isInstanceOf(IllegalStateException.class)
          .hasMessage("the response body was not streamed through the filter");
    }
  }

  @Test
  void aResponseChunkThatThrowsBeforeAnyByteWentOutGets500AndAfterCutsTheResponseShort() {
    try (FilterHarness h = FilterHarness.of(new Streamer(0, 1024, (x, c) -> {
      throw new IllegalStateException("boom");
    }))) {
      TestExchange x = h.run(TestRequest.get("/a"));
      ClientResponse r = x.upstreamResponds(TestResponse.builder(200).bodyChunks("ab", "cd").build());
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.header("X-Sluice-Reason")).isEqualTo("filter_error");
    }
    try (FilterHarness h = FilterHarness.of(new Streamer(0, 1024, (x, c) -> {
      if (text(c).equals("cd")) throw new IllegalStateException("boom");
      return ChunkResult.CONTINUE;
    }))) {
      TestExchange x = h.run(TestRequest.get("/a"));
      ClientResponse r = x.upstreamResponds(TestResponse.builder(200).bodyChunks("ab", "cd").build());
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("ab");
      assertThat(x.responseCutShort()).isTrue();
      assertThat(x.failures()).hasSize(1);
    }
  }

  @Test
  void aResponseHeldOverTheLimitBeforeAnyByteWentOutGets502() {
    try (FilterHarness h = FilterHarness.of(new Streamer(0, 3, (x, c) -> ChunkResult.PAUSE))) {
      TestExchange x = h.run(TestRequest.get("/a"));
      ClientResponse r = x.upstreamResponds(TestResponse.builder(200).bodyChunks("ab", "cd").build());
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("X-Sluice-Reason")).isEqualTo("response_body_too_large");
    }
  }

  @Test
  void aFilterThatBothBuffersAndStreamsTheRequestBodyIsRefused() {
    Filter both = new Filter() {
      @Override
      public long bufferRequestBody() {
        return 10;
      }

      @Override
      public long streamRequestBody() {
        return 10;
      }
    };
    try (FilterHarness h = FilterHarness.of(both)) {
      assertThatThrownBy(() -> h.run(TestRequest.get("/a"))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("declares both bufferRequestBody() and streamRequestBody()");
    }
  }

  @Test
  void aChunkUsedAfterItsCallIsRefused() {
    BodyChunk[] kept = new BodyChunk[1];
    try (FilterHarness h = FilterHarness.of(new Streamer(1024, 0, (x, c) -> {
      kept[0] = c;
      return ChunkResult.CONTINUE;
    }))) {
      h.run(TestRequest.builder("POST", "/a").body("text/plain", "abc").build());
      assertThatThrownBy(kept[0]::data).isInstanceOf(IllegalStateException.class)
          .hasMessage("a BodyChunk is valid only during the call it was passed to");
    }
  }
}
