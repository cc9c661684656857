package io.sluice.proxy.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkDecoderTest {
  private static final String BODY = "5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nGrpc-Status: 0\r\nx-note:  done \r\n\r\n";

  @Test
  void givesTheChunkDataAndTheTrailerFieldsWhereverTheBufferIsCut() {
    for (int cut = 0; cut <= BODY.length(); cut++) {
      StringBuilder data = new StringBuilder();
      List<String> trailers = new ArrayList<>();
      ChunkDecoder d = new ChunkDecoder();
      d.reset((name, value) -> trailers.add(name + "=" + value));
      ByteBuf buf = Unpooled.copiedBuffer(BODY, StandardCharsets.ISO_8859_1);
      try {
        ChunkDecoder.DataSink sink = (b, i, n) -> data.append(b.toString(i, n, StandardCharsets.ISO_8859_1));
        assertThat(d.decode(buf, 0, cut, sink)).isEqualTo(cut);
        assertThat(d.isDone()).isEqualTo(cut == BODY.length());
        assertThat(d.decode(buf, cut, BODY.length(), sink)).isEqualTo(BODY.length());
      } finally {
        buf.release();
      }
      assertThat(data).as("cut at %d", cut).hasToString("hello, world");
      assertThat(trailers).as("cut at %d", cut).containsExactly("Grpc-Status=0", "x-note=done");
      assertThat(d.isDone()).isTrue();
    }
  }

  @Test
  void stopsAtTheEndOfTheBodyAndResetStartsTheNextMessage() {
    ChunkDecoder d = new ChunkDecoder();
    List<String> first = new ArrayList<>();
    d.reset((name, value) -> first.add(name));
    String two = "3\r\nabc\r\n0\r\n\r\n" + "2\r\nde\r\n0\r\nx-last: 1\r\n\r\n";
    ByteBuf buf = Unpooled.copiedBuffer(two, StandardCharsets.ISO_8859_1);
    try {
      StringBuilder data = new StringBuilder();
      ChunkDecoder.DataSink sink = (b, i, n) -> data.append(b.toString(i, n, StandardCharsets.ISO_8859_1));
      int end = d.decode(buf, 0, two.length(), sink);
      assertThat(end).isEqualTo("3\r\nabc\r\n0\r\n\r\n".length());
      assertThat(data).hasToString("abc");
      List<String> second = new ArrayList<>();
      d.reset((name, value) -> second.add(name + "=" + value));
      assertThat(d.isDone()).isFalse();
      assertThat(d.decode(buf, end, two.length(), sink)).isEqualTo(two.length());
      assertThat(data).hasToString("abcde");
      assertThat(first).isEmpty();
      assertThat(second).containsExactly("x-last=1");
    } finally {
      buf.release();
    }
  }
}
