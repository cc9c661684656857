package io.sluice.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chunked body parser against RFC 9112 §7.1: malformed framing is refused wherever it is,
 * valid extensions and trailers pass, the body ends exactly where it ends, and it makes no
 * difference how the bytes are split.
 */
class ChunkedParserTest {
  private static final String ONE_CHUNK = "5\r\nhello\r\n0\r\n\r\n";

  static Stream<Arguments> refused() {
    return Stream.of(
        arguments("non-hex chunk size", "zz\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        arguments("empty chunk size", "\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        arguments("negative chunk size", "-1\r\nh\r\n0\r\n\r\n", "invalid chunk size"),
        arguments("chunk size with 0x prefix", "0x10\r\n", "invalid chunk size"),
        arguments("chunk size with leading space", " 5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        arguments("chunk size of 16 hex digits", "1000000000000000\r\n", "chunk size too large"),
        arguments("chunk size of 16 digits with leading zeros", "0000000000000005\r\nhello\r\n0\r\n\r\n", "chunk size too large"),
        arguments("chunk size of 17 hex digits", "fffffffffffffffff\r\n", "chunk size too large"),
        arguments("chunk size followed by spaces and CRLF", "5  \r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        arguments("chunk size followed by spaces and a letter", "5 x\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        arguments("chunk size followed by a letter", "5g\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        arguments("bare LF after chunk size", "5\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        arguments("bare CR after chunk size", "5\rhello\r\n0\r\n\r\n", "bare CR after chunk size"),
        arguments("chunk data longer than its size", "5\r\nhelloX\r\n0\r\n\r\n", "missing CRLF after chunk data"),
        arguments("no CRLF after chunk data", "5\r\nhello0\r\n\r\n", "missing CRLF after chunk data"),
        arguments("bare LF after chunk data", "5\r\nhello\n0\r\n\r\n", "missing CRLF after chunk data"),
        arguments("bare CR after chunk data", "5\r\nhello\r0\r\n\r\n", "missing CRLF after chunk data"),
        arguments("bare LF in chunk extension", "5;a\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("empty chunk extension", "5;\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension without name", "5;=x\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension with empty value", "5;a=\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension value with a space", "5;a=b c\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension name with a space", "5;a b\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension with trailing space", "5;a=b \r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension with CR in a quoted value", "5;a=\"b\rc\"\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension with text after a quoted value", "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension with NUL", "5;a=b\u0000\r\nhello\r\n0\r\n\r\n", "invalid chunk extension"),
        arguments("chunk extension longer than the framing limit", "5;a=" + "b".repeat(16 * 1024) + "\r\nhello\r\n0\r\n\r\n",
            "chunk framing too long"),
        arguments("trailer with obs-fold", "0\r\nX-A: b\r\n c\r\n\r\n", "invalid trailer field"),
        arguments("trailer starting with a tab", "0\r\n\tX-A: b\r\n\r\n", "invalid trailer field"),
        arguments("bare LF ending the body", "0\r\n\n", "invalid trailer field"),
        arguments("bare LF ending a trailer", "0\r\nX-A: b\n\r\n", "invalid trailer field value"),
        arguments("space before colon in trailer", "0\r\nX-A : b\r\n\r\n", "invalid trailer field name"),
        arguments("trailer without colon", "0\r\nX-A\r\n\r\n", "invalid trailer field name"),
        arguments("NUL in trailer value", "0\r\nX-A: b\u0000\r\n\r\n", "invalid trailer field value"),
        arguments("bare CR in trailer", "0\r\nX-A: b\rc\r\n\r\n", "bare CR in trailer"),
        arguments("bare CR ending the body", "0\r\n\rX", "bare CR at end of chunked body"),
        arguments("trailers longer than the framing limit", "0\r\n" + "X-A: b\r\n".repeat(3000) + "\r\n", "chunk framing too long"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesMalformedFramingWith400(String description, String body, String message) {
    assertThatThrownBy(() -> scanAtOnce(new ChunkedParser(400), body, Long.MAX_VALUE))
        .isInstanceOfSatisfying(HttpParseException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.getMessage()).isEqualTo(message);
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesTheSameWhenTheBodyArrivesOneByteAtATime(String description, String body, String message) {
    assertThatThrownBy(() -> scanByteAtATime(new ChunkedParser(400), body, Long.MAX_VALUE))
        .isInstanceOfSatisfying(HttpParseException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.getMessage()).isEqualTo(message);
        });
  }

  @Test
  void refusesAnUpstreamsMalformedFramingWith502() {
    assertThatThrownBy(() -> scanAtOnce(new ChunkedParser(502), "zz\r\n", Long.MAX_VALUE))
        .isInstanceOfSatisfying(HttpParseException.class, e -> assertThat(e.status()).isEqualTo(502));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      ONE_CHUNK,
      "5;a\r\nhello\r\n0\r\n\r\n",
      "5;a=b\r\nhello\r\n0\r\n\r\n",
      "5 ;a=b\r\nhello\r\n0\r\n\r\n",
      "5\t; a = b ;c\r\nhello\r\n0;last\r\n\r\n",
      "5;a=\"q \\\" ;x\"\r\nhello\r\n0\r\n\r\n",
      "5;a=\"\" ; b=c\r\nhello\r\n0\r\n\r\n",
      "5;a=\"caf\u00e9\"\r\nhello\r\n0\r\n\r\n",
      "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
      "005\r\nhello\r\n000\r\n\r\n",
      "0\r\nX-Checksum: abc\r\nExpires: 0\r\nX-Empty:\r\n\r\n",
  })
  void acceptsValidBodiesWithExtensionsAndTrailers(String body) {
    ChunkedParser p = new ChunkedParser(400);
    assertThat(scanAtOnce(p, body, Long.MAX_VALUE)).isEqualTo(body.length());
    assertThat(p.isDone()).isTrue();
  }

  @Test
  void acceptsUpperAndLowerCaseHexSizes() {
    String body = "A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n";
    ChunkedParser p = new ChunkedParser(400);
    assertThat(scanAtOnce(p, body, Long.MAX_VALUE)).isEqualTo(body.length());
    assertThat(p.dataTotal()).isEqualTo(21);
  }

  @Test
  void endsExactlyAtTheEndOfTheBodyAndLeavesWhatFollows() {
    ChunkedParser p = new ChunkedParser(400);
    assertThat(scanAtOnce(p, ONE_CHUNK + "GET / HTTP/1.1\r\n", Long.MAX_VALUE)).isEqualTo(ONE_CHUNK.length());
    assertThat(p.isDone()).isTrue();
  }

  @Test
  void isNotDoneBeforeTheFinalCrlf() {
    ChunkedParser p = new ChunkedParser(400);
    String partial = ONE_CHUNK.substring(0, ONE_CHUNK.length() - 1);
    assertThat(scanAtOnce(p, partial, Long.MAX_VALUE)).isEqualTo(partial.length());
    assertThat(p.isDone()).isFalse();
  }

  @Test
  void givesTheSinkOnlyTheChunkData() {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    ChunkedParser p = new ChunkedParser(400);
    scan(p, "3;x=1\r\nhel\r\n2\r\nlo\r\n0\r\nX-T: 1\r\n\r\n", Long.MAX_VALUE, data, 0);
    assertThat(data.toString(StandardCharsets.ISO_8859_1)).isEqualTo("hello");
  }

  @Test
  void parsesTheSameWhenTheBodyArrivesOneByteAtATime() {
    String body = "3;x=\"a;b\"\r\nhel\r\n10\r\n0123456789abcdef\r\n2 ; y\r\nlo\r\n0\r\nX-T: 1\r\n\r\n";
    ByteArrayOutputStream once = new ByteArrayOutputStream();
    ChunkedParser a = new ChunkedParser(400);
    int endOnce = scan(a, body + "NEXT", Long.MAX_VALUE, once, 0);
    ByteArrayOutputStream byByte = new ByteArrayOutputStream();
    ChunkedParser b = new ChunkedParser(400);
    int endByByte = scan(b, body + "NEXT", Long.MAX_VALUE, byByte, 1);
    assertThat(endByByte).isEqualTo(endOnce).isEqualTo(body.length());
    assertThat(byByte.toByteArray()).isEqualTo(once.toByteArray());
    assertThat(once.toString(StandardCharsets.ISO_8859_1)).isEqualTo("hel0123456789abcdeflo");
    assertThat(b.isDone()).isTrue();
    assertThat(b.dataTotal()).isEqualTo(a.dataTotal()).isEqualTo(21);
  }

  @Test
  void refusesWith413WhenTheDataExceedsTheLimit() {
    ChunkedParser p = new ChunkedParser(400);
    assertThatThrownBy(() -> scanAtOnce(p, "8\r\n12345678\r\n3\r\nabc\r\n0\r\n\r\n", 10))
        .isInstanceOfSatisfying(HttpParseException.class, e -> {
          assertThat(e.status()).isEqualTo(413);
          assertThat(e.getMessage()).isEqualTo("request body larger than 10 bytes");
        });
  }

  @Test
  void refusesWith413AtTheChunkSizeBeforeAnyOfItsDataIsPassedOn() {
    ChunkedParser p = new ChunkedParser(400);
    String body = "8\r\n12345678\r\n3\r\nabc\r\n0\r\n\r\n";
    ByteBuf in = Unpooled.copiedBuffer(body, StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    try {
      p.reset(10);
      assertThatThrownBy(() -> p.scan(in, 0, in.writerIndex(), (buf, index, length) -> {
        byte[] b = new byte[length];
        buf.getBytes(index, b);
        data.writeBytes(b);
      })).isInstanceOf(HttpParseException.class);
      assertThat(data.toString(StandardCharsets.ISO_8859_1)).isEqualTo("12345678");
    } finally {
      in.release();
    }
  }

  @Test
  void acceptsDataOfExactlyTheLimit() {
    ChunkedParser p = new ChunkedParser(400);
    String body = "8\r\n12345678\r\n2\r\nab\r\n0\r\n\r\n";
    assertThat(scanAtOnce(p, body, 10)).isEqualTo(body.length());
    assertThat(p.dataTotal()).isEqualTo(10);
  }

  @Test
  void startsOverAfterReset() {
    ChunkedParser p = new ChunkedParser(400);
    scanAtOnce(p, ONE_CHUNK, Long.MAX_VALUE);
    assertThat(p.isDone()).isTrue();
    assertThat(scanAtOnce(p, "2\r\nab\r\n0\r\n\r\n", Long.MAX_VALUE)).isEqualTo(12);
    assertThat(p.isDone()).isTrue();
    assertThat(p.dataTotal()).isEqualTo(2);
  }

  // ---- helpers ----

  private static int scanAtOnce(ChunkedParser p, String body, long maxData) {
    return scan(p, body, maxData, null, 0);
  }

  private static int scanByteAtATime(ChunkedParser p, String body, long maxData) {
    return scan(p, body, maxData, null, 1);
  }

  /**
   * Scans {@code body} from a fresh start in one accumulating buffer, {@code step} bytes more per
   * call (0: all at once), as a connection would; returns the end of the body (or of the input).
   */
  private static int scan(ChunkedParser p, String body, long maxData, ByteArrayOutputStream data, int step) {
    p.reset(maxData);
    byte[] bytes = body.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuf in = Unpooled.buffer(bytes.length);
    ChunkedParser.DataSink sink = data == null ? null : (buf, index, length) -> {
      byte[] b = new byte[length];
      buf.getBytes(index, b);
      data.writeBytes(b);
    };
    try {
      int n = step == 0 ? bytes.length : step;
      for (int at = 0; at < bytes.length && !p.isDone(); at += n) {
        in.writeBytes(bytes, at, Math.min(n, bytes.length - at));
        int end = p.scan(in, in.readerIndex(), in.writerIndex(), sink);
        in.readerIndex(end);
      }
      return in.readerIndex();
    } finally {
      in.release();
    }
  }
}
