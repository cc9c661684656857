package io.sluice.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The request head codec against RFC 9112/9110: every head the RFCs say a server must refuse is
 * refused with its exact status and message, whether it arrives at once or one byte at a time, and
 * the heads they allow parse to the right values.
 */
class RequestHeadReaderTest {
  private static final int MAX_HEADER_SIZE = 4096;
  private static final int MAX_URI_LENGTH = 256;
  private static final int MAX_HEADER_COUNT = 20;

  // ---- the refusal corpus ----

  static Stream<Arguments> refused() {
    return Stream.of(
        // framing: Content-Length and Transfer-Encoding (RFC 9112 §6)
        refuse("Content-Length with Transfer-Encoding", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
            400, "both Transfer-Encoding and Content-Length"),
        refuse("Transfer-Encoding with Content-Length", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
            400, "both Transfer-Encoding and Content-Length"),
        refuse("Content-Length 0 with Transfer-Encoding", post("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n"),
            400, "both Transfer-Encoding and Content-Length"),
        refuse("two differing Content-Length fields", post("Content-Length: 5\r\nContent-Length: 6\r\n"),
            400, "differing Content-Length values"),
        refuse("differing Content-Length list", post("Content-Length: 5, 6\r\n"), 400, "differing Content-Length values"),
        refuse("Content-Length with plus sign", post("Content-Length: +5\r\n"), 400, "invalid Content-Length"),
        refuse("Content-Length with minus sign", post("Content-Length: -5\r\n"), 400, "invalid Content-Length"),
        refuse("Content-Length with inner space", post("Content-Length: 1 0\r\n"), 400, "invalid Content-Length"),
        refuse("Content-Length in hex", post("Content-Length: 0x10\r\n"), 400, "invalid Content-Length"),
        refuse("Content-Length with exponent", post("Content-Length: 1e3\r\n"), 400, "invalid Content-Length"),
        refuse("Content-Length empty", post("Content-Length: \r\n"), 400, "invalid Content-Length"),
        refuse("Content-Length list with empty element", post("Content-Length: 5,\r\n"), 400, "invalid Content-Length"),
        refuse("Content-Length overflowing a long", post("Content-Length: 9223372036854775808\r\n"),
            400, "Content-Length too large"),
        refuse("Content-Length of twenty digits", post("Content-Length: 99999999999999999999\r\n"),
            400, "Content-Length too large"),
        refuse("Transfer-Encoding not ending in chunked", post("Transfer-Encoding: gzip\r\n"),
            400, "Transfer-Encoding does not end in chunked"),
        refuse("Transfer-Encoding chunked then gzip", post("Transfer-Encoding: chunked, gzip\r\n"),
            400, "Transfer-Encoding does not end in chunked"),
        refuse("Transfer-Encoding xchunked", post("Transfer-Encoding: xchunked\r\n"),
            400, "Transfer-Encoding does not end in chunked"),
        refuse("Transfer-Encoding fields chunked then gzip", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"),
            400, "Transfer-Encoding does not end in chunked"),
        refuse("Transfer-Encoding empty", post("Transfer-Encoding: \r\n"), 400, "empty Transfer-Encoding"),
        refuse("Transfer-Encoding with parameter", post("Transfer-Encoding: chunked;q=1\r\n"),
            400, "invalid Transfer-Encoding header field"),
        refuse("Transfer-Encoding chunked twice", post("Transfer-Encoding: chunked, chunked\r\n"),
            501, "unsupported transfer coding"),
        refuse("Transfer-Encoding gzip then chunked", post("Transfer-Encoding: gzip, chunked\r\n"),
            501, "unsupported transfer coding"),
        refuse("Transfer-Encoding fields chunked twice", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
            501, "unsupported transfer coding"),
        refuse("Transfer-Encoding fields gzip then chunked", post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"),
            501, "unsupported transfer coding"),
        refuse("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            400, "Transfer-Encoding in an HTTP/1.0 request"),
        refuse("Transfer-Encoding in HTTP/1.0 with Content-Length",
            "POST / HTTP/1.0\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            400, "Transfer-Encoding in an HTTP/1.0 request"),
        // line grammar (RFC 9112 §2.2, §5.2)
        refuse("obs-fold", get("X-A: b\r\n c\r\n"), 400, "obsolete line folding or whitespace before a header field"),
        refuse("obs-fold with tab", get("X-A: b\r\n\tc\r\n"), 400, "obsolete line folding or whitespace before a header field"),
        refuse("whitespace before the first header field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
            400, "obsolete line folding or whitespace before a header field"),
        refuse("bare LF ending the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "bare LF in request head"),
        refuse("bare LF ending a header field", "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400, "bare LF in request head"),
        refuse("bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "bare LF in request head"),
        refuse("bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bare LF in request head"),
        refuse("bare LF only", "\n\n", 400, "bare LF in request head"),
        refuse("bare CR in a field value", get("X-A: a\rb\r\n"), 400, "bare CR in header field"),
        refuse("bare CR at the end of a field value", get("X-A: ab\r\r\n"), 400, "bare CR in header field"),
        refuse("bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400, "missing HTTP version"),
        refuse("bare CR starting a line", get("\rX-A: b\r\n"), 400, "bare CR in request head"),
        refuse("bare CR before the final CRLF", "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n", 400, "bare CR in request head"),
        // field names (RFC 9110 §5.1, RFC 9112 §5.1)
        refuse("space between field name and colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            400, "invalid character in header field name"),
        refuse("tab between field name and colon", get("X-A\t: b\r\n"), 400, "invalid character in header field name"),
        refuse("parenthesis in field name", get("X(A): b\r\n"), 400, "invalid character in header field name"),
        refuse("at sign in field name", get("X@A: b\r\n"), 400, "invalid character in header field name"),
        refuse("space in field name", get("X A: b\r\n"), 400, "invalid character in header field name"),
        refuse("non-ASCII in field name", get("X-\u00e9: b\r\n"), 400, "invalid character in header field name"),
        refuse("slash in field name", get("X/A: b\r\n"), 400, "invalid character in header field name"),
        refuse("NUL in field name", get("X\u0000A: b\r\n"), 400, "invalid character in header field name"),
        refuse("field line without colon", get("X-A b\r\n"), 400, "invalid character in header field name"),
        refuse("empty field name", get(": b\r\n"), 400, "invalid header field name"),
        // field values (RFC 9110 §5.5)
        refuse("NUL in field value", get("X-A: a\u0000b\r\n"), 400, "invalid character in header field value"),
        refuse("SOH in field value", get("X-A: a\u0001b\r\n"), 400, "invalid character in header field value"),
        refuse("ESC in field value", get("X-A: a\u001bb\r\n"), 400, "invalid character in header field value"),
        refuse("vertical tab in field value", get("X-A: a\u000bb\r\n"), 400, "invalid character in header field value"),
        refuse("DEL in field value", get("X-A: a\u007fb\r\n"), 400, "invalid character in header field value"),
        refuse("vertical tab before chunked", post("Transfer-Encoding: \u000bchunked\r\n"),
            400, "invalid character in header field value"),
        // Host (RFC 9112 §3.2, RFC 9110 §7.2)
        refuse("missing Host in HTTP/1.1", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400, "missing Host header field"),
        refuse("missing Host in HTTP/1.1 with absolute-form", "GET http://a/ HTTP/1.1\r\n\r\n", 400, "missing Host header field"),
        refuse("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host header field"),
        refuse("two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, "more than one Host header field"),
        refuse("Host with a space", host("a b"), 400, "invalid Host header field"),
        refuse("Host with a slash", host("a/b"), 400, "invalid Host header field"),
        refuse("Host with userinfo", host("u@a"), 400, "invalid Host header field"),
        refuse("Host list", host("a, b"), 400, "invalid Host header field"),
        refuse("Host with two colons", host("a:b:80"), 400, "invalid port in Host header field"),
        refuse("Host with a non-numeric port", host("a:80x"), 400, "invalid port in Host header field"),
        refuse("Host with only a port", host(":80"), 400, "invalid Host header field"),
        refuse("Host with unclosed IPv6 literal", host("[::1"), 400, "invalid Host header field"),
        refuse("Host with garbage after IPv6 literal", host("[::1]x"), 400, "invalid Host header field"),
        refuse("Host with invalid IPv6 literal", host("[::g]"), 400, "invalid Host header field"),
        refuse("Host with empty IPv6 literal", host("[]"), 400, "invalid Host header field"),
        refuse("Host with bad percent-encoding", host("a%zz"), 400, "invalid Host header field"),
        refuse("Host with non-ASCII", host("\u00e9.example"), 400, "invalid Host header field"),
        refuse("absolute-form with invalid authority", "GET http://a!b/ HTTP/1.1\r\nHost: a\r\n\r\n",
            400, "invalid Host header field"),
        // request line (RFC 9112 §3)
        refuse("double space after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "empty request target"),
        refuse("double space before version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid HTTP version"),
        refuse("missing version", "GET /\r\nHost: a\r\n\r\n", 400, "missing HTTP version"),
        refuse("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, "invalid HTTP version"),
        refuse("trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "invalid HTTP version"),
        refuse("trailing garbage after version", "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", 400, "invalid HTTP version"),
        refuse("version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400, "invalid HTTP version"),
        refuse("version with two-digit major", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400, "invalid HTTP version"),
        refuse("leading space before method", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid request method"),
        refuse("tab after method", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid request method"),
        refuse("invalid method character", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid request method"),
        refuse("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP version not supported"),
        refuse("HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505, "HTTP version not supported"),
        refuse("HTTP/0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "HTTP version not supported"),
        // request target (RFC 9112 §3.2, RFC 3986)
        refuse("tab in target", target("/a\tb"), 400, "invalid character in request target"),
        refuse("fragment in target", target("/a#b"), 400, "invalid character in request target"),
        refuse("double quote in target", target("/a\"b"), 400, "invalid character in request target"),
        refuse("less-than in target", target("/a<b"), 400, "invalid character in request target"),
        refuse("greater-than in target", target("/a>b"), 400, "invalid character in request target"),
        refuse("backslash in target", target("/a\\b"), 400, "invalid character in request target"),
        refuse("brace in target", target("/a{b}"), 400, "invalid character in request target"),
        refuse("pipe in target", target("/a|b"), 400, "invalid character in request target"),
        refuse("caret in target", target("/a^b"), 400, "invalid character in request target"),
        refuse("backtick in target", target("/a`b"), 400, "invalid character in request target"),
        refuse("non-ASCII in target", target("/\u00e9"), 400, "invalid character in request target"),
        refuse("NUL in target", target("/a\u0000"), 400, "invalid character in request target"),
        refuse("DEL in target", target("/a\u007f"), 400, "invalid character in request target"),
        refuse("relative target", target("a/b"), 400, "request target must be origin-form or absolute-form"),
        refuse("authority-form target outside CONNECT", target("example.com:443"),
            400, "request target must be origin-form or absolute-form"),
        refuse("CONNECT without a port", "CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
            400, "CONNECT target must be authority-form"),
        refuse("CONNECT with an empty port", "CONNECT example.com: HTTP/1.1\r\nHost: example.com\r\n\r\n",
            400, "CONNECT target must be authority-form"),
        refuse("CONNECT with origin-form", "CONNECT /x:1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
            400, "CONNECT target must be authority-form"),
        refuse("CONNECT with an IPv6 literal and no port", "CONNECT [::1] HTTP/1.1\r\nHost: a\r\n\r\n",
            400, "CONNECT target must be authority-form"),
        refuse("CONNECT with absolute-form", "CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
            400, "invalid port in Host header field"),
        refuse("absolute-form with another scheme", target("ftp://a/b"), 400, "request target must be origin-form or absolute-form"),
        refuse("asterisk-form outside OPTIONS", target("*"), 400, "asterisk-form target outside OPTIONS"),
        refuse("absolute-form without authority", target("http:///x"), 400, "absolute-form target without authority"),
        refuse("absolute-form with userinfo", target("http://u@a/"), 400, "userinfo in request target"),
        refuse("percent not followed by hex", target("/a%zzb"), 400, "invalid percent-encoding in request target"),
        refuse("percent with one hex digit at the end", target("/a%4"), 400, "invalid percent-encoding in request target"),
        // expectations (RFC 9110 §10.1.1)
        refuse("Expect other than 100-continue", get("Expect: foo\r\n"), 417, "unsupported expectation"),
        refuse("Expect list with an unknown member", get("Expect: 100-continue, foo\r\n"), 417, "unsupported expectation"),
        // limits
        refuse("head larger than maxHeaderSize", get("X-Big: " + "a".repeat(MAX_HEADER_SIZE) + "\r\n"),
            431, "request head larger than 4096 bytes"),
        refuse("target longer than maxUriLength", target("/" + "a".repeat(MAX_URI_LENGTH)),
            414, "request target longer than 256"),
        refuse("request line without end longer than maxUriLength allows", "GET /" + "a".repeat(MAX_URI_LENGTH + 100),
            414, "request target longer than 256"),
        refuse("more header fields than maxHeaderCount", get("X-A: b\r\n".repeat(MAX_HEADER_COUNT)),
            431, "more than 20 header fields"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesWhatTheRfcsSayMustBeRefused(String description, String raw, int status, String message) {
    assertThatThrownBy(() -> parse(raw))
        .isInstanceOfSatisfying(HttpParseException.class, e -> {
          assertThat(e.status()).isEqualTo(status);
          assertThat(e.getMessage()).isEqualTo(message);
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesTheSameWhenTheHeadArrivesOneByteAtATime(String description, String raw, int status, String message) {
    assertThatThrownBy(() -> parseByteAtATime(raw))
        .isInstanceOfSatisfying(HttpParseException.class, e -> {
          assertThat(e.status()).isEqualTo(status);
          assertThat(e.getMessage()).isEqualTo(message);
        });
  }

  // ---- what is accepted ----

  @Test
  void acceptsIdenticalRepeatedContentLengthFieldsAsOne() {
    RequestHead h = parse(post("Content-Length: 5\r\nContent-Length: 5\r\n"));
    assertThat(h.contentLength()).isEqualTo(5);
    assertThat(h.isChunked()).isFalse();
    assertThat(h.hasBody()).isTrue();
  }

  @Test
  void acceptsAnIdenticalContentLengthListAsOne() {
    assertThat(parse(post("Content-Length: 7, 7,7\r\n")).contentLength()).isEqualTo(7);
  }

  @Test
  void acceptsTheLargestContentLengthItCanRepresent() {
    assertThat(parse(post("Content-Length: 999999999999999999\r\n")).contentLength()).isEqualTo(999_999_999_999_999_999L);
  }

  @Test
  void acceptsChunkedAsTheOnlyTransferCodingInAnyCase() {
    RequestHead h = parse(post("Transfer-Encoding: Chunked\r\n"));
    assertThat(h.isChunked()).isTrue();
    assertThat(h.contentLength()).isEqualTo(-1);
    assertThat(h.hasBody()).isTrue();
  }

  @Test
  void acceptsATransferEncodingListWithEmptyElements() {
    assertThat(parse(post("Transfer-Encoding: , chunked ,\r\n")).isChunked()).isTrue();
  }

  @Test
  void parsesAnOrdinaryRequest() {
    RequestHead h = parse("GET /a/b?x=1&y HTTP/1.1\r\nHost: Example.COM:8080\r\nX-A:  spaced value \t\r\nX-Empty:\r\n\r\n");
    assertThat(h.method()).isEqualTo("GET");
    assertThat(h.target()).isEqualTo("/a/b?x=1&y");
    assertThat(h.path()).isEqualTo("/a/b");
    assertThat(h.query()).isEqualTo("x=1&y");
    assertThat(h.host()).isEqualTo("example.com");
    assertThat(h.authority()).isEqualTo("Example.COM:8080");
    assertThat(h.isHttp10()).isFalse();
    assertThat(h.keepAlive()).isTrue();
    assertThat(h.hasBody()).isFalse();
    assertThat(h.contentLength()).isEqualTo(-1);
    assertThat(h.headerCount()).isEqualTo(3);
    assertThat(h.headerName(1)).isEqualTo("X-A");
    assertThat(h.headerValue(1)).isEqualTo("spaced value");
    assertThat(h.header("x-empty")).isEmpty();
    assertThat(h.headerCode(0)).isEqualTo(HeaderName.HOST);
  }

  @Test
  void acceptsHttp10WithoutHost() {
    RequestHead h = parse("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assertThat(h.isHttp10()).isTrue();
    assertThat(h.host()).isEmpty();
    assertThat(h.keepAlive()).isTrue();
  }

  @Test
  void acceptsAnEmptyHostField() {
    assertThat(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n").host()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"[::1]:8080", "[2001:DB8::1]", "[::ffff:192.0.2.1]", "a-b_c~d.example", "a%41.example", "a:"})
  void acceptsValidHosts(String host) {
    RequestHead h = parse(host(host));
    assertThat(h.authority()).isEqualTo(host);
  }

  @Test
  void lowerCasesAnIpv6LiteralHost() {
    assertThat(parse(host("[2001:DB8::1]:443")).host()).isEqualTo("[2001:db8::1]");
  }

  @Test
  void ignoresEmptyLinesBeforeTheRequestLine() {
    RequestHead h = parse("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    assertThat(h.path()).isEqualTo("/x");
    assertThat(h.length()).isEqualTo("GET /x HTTP/1.1\r\nHost: a\r\n\r\n".length());
  }

  @Test
  void ignoresEmptyLinesBeforeTheRequestLineWhenTheyArriveOneByteAtATime() {
    RequestHead h = parseByteAtATime("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    assertThat(h.method()).isEqualTo("GET");
    assertThat(h.path()).isEqualTo("/x");
  }

  @Test
  void parsesTheSameWhenTheHeadArrivesOneByteAtATime() {
    String raw = "POST http://Api.Example:81/a/./b/../c?q=%20 HTTP/1.1\r\nHost: ignored\r\nContent-Length: 12\r\n"
        + "Connection: close, X-Hop\r\nX-Hop: 1\r\nExpect: 100-continue\r\nX-Obs: caf\u00e9\r\n\r\n";
    RequestHead once = parse(raw);
    String expected = describe(once);
    assertThat(describe(parseByteAtATime(raw))).isEqualTo(expected);
    assertThat(expected).isEqualTo("POST|http://Api.Example:81/a/./b/../c?q=%20|/a/c|q=%20|api.example|Api.Example:81"
        + "|cl=12|chunked=false|continue=true|keepAlive=false|http10=false"
        + "|[Host: ignored, Content-Length: 12, Connection: close, X-Hop, X-Hop: 1, Expect: 100-continue, X-Obs: caf\u00e9]");
  }

  @Test
  void usesTheAuthorityOfAnAbsoluteFormTargetAsTheHost() {
    RequestHead h = parse("GET http://Example.COM:8080/a/b?x=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
    assertThat(h.host()).isEqualTo("example.com");
    assertThat(h.authority()).isEqualTo("Example.COM:8080");
    assertThat(h.path()).isEqualTo("/a/b");
    assertThat(h.query()).isEqualTo("x=1");
  }

  @Test
  void givesAnAbsoluteFormTargetWithoutPathTheRootPath() {
    RequestHead h = parse("GET https://example.com?x HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assertThat(h.host()).isEqualTo("example.com");
    assertThat(h.path()).isEqualTo("/");
    assertThat(h.query()).isEqualTo("x");
  }

  @Test
  void acceptsAsteriskFormForOptions() {
    RequestHead h = parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    assertThat(h.path()).isEqualTo("*");
    assertThat(h.host()).isEqualTo("a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"example.com:443", "Example.com:8443", "[::1]:443", "192.0.2.1:22"})
  void acceptsAuthorityFormForConnect(String target) {
    RequestHead h = parse("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
    assertThat(h.method()).isEqualTo("CONNECT");
    assertThat(h.authority()).isEqualTo(target);
    assertThat(h.host()).isEqualTo(target.substring(0, target.lastIndexOf(':')).toLowerCase(java.util.Locale.ROOT));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("dotSegments")
  void removesDotSegments(String target, String path) {
    assertThat(parse(target(target)).path()).isEqualTo(path);
  }

  static Stream<Arguments> dotSegments() {
    return Stream.of(
        arguments("/a/../b", "/b"),
        arguments("/../x", "/x"),
        arguments("/a/./b", "/a/b"),
        arguments("/a/b/../../..", "/"),
        arguments("/a/..", "/"),
        arguments("/a/.", "/a/"),
        arguments("/./", "/"),
        arguments("/a/b/..?q=/../x", "/a/"),
        arguments("/.well-known/x", "/.well-known/x"),
        arguments("/a/%2e%2e/b", "/b"),
        arguments("/a/%2E./b", "/b"),
        arguments("/a/.%2e/b", "/b"),
        arguments("/a/%2e/b", "/a/b"),
        arguments("/%61dmin", "/admin"),
        arguments("/a%2fb%3a", "/a%2Fb%3A"),
        arguments("/a%20b", "/a%20b"));
  }

  @Test
  void forwardsANormalisedPathInsteadOfTheTargetAsReceived() {
    RequestHead h = parse("GET /public/%2e%2e/admin?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    assertThat(h.path()).isEqualTo("/admin");
    assertThat(encodedRequestLine(h)).isEqualTo("GET /admin?x=1 HTTP/1.1");
    assertThat(encodedRequestLine(parse("GET /plain?x=%zz HTTP/1.1\r\nHost: a\r\n\r\n"))).isEqualTo("GET /plain?x=%zz HTTP/1.1");
  }

  @Test
  void acceptsExpect100ContinueInHttp11() {
    assertThat(parse(post("Content-Length: 3\r\nExpect: 100-Continue\r\n")).expectsContinue()).isTrue();
  }

  @Test
  void ignoresExpect100ContinueInHttp10() {
    RequestHead h = parse("POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    assertThat(h.expectsContinue()).isFalse();
  }

  @Test
  void acceptsAHeadOfExactlyMaxHeaderSize() {
    String prefix = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ";
    String raw = prefix + "a".repeat(MAX_HEADER_SIZE - prefix.length() - 4) + "\r\n\r\n";
    assertThat(raw).hasSize(MAX_HEADER_SIZE);
    assertThat(parse(raw).length()).isEqualTo(MAX_HEADER_SIZE);
    String oneMore = prefix + "a".repeat(MAX_HEADER_SIZE - prefix.length() - 3) + "\r\n\r\n";
    assertThatThrownBy(() -> parse(oneMore))
        .isInstanceOfSatisfying(HttpParseException.class, e -> assertThat(e.status()).isEqualTo(431));
  }

  @Test
  void acceptsATargetOfExactlyMaxUriLength() {
    String path = "/" + "a".repeat(MAX_URI_LENGTH - 1);
    assertThat(parse(target(path)).path()).isEqualTo(path);
  }

  @Test
  void acceptsExactlyMaxHeaderCountFields() {
    assertThat(parse(get("X-A: b\r\n".repeat(MAX_HEADER_COUNT - 1))).headerCount()).isEqualTo(MAX_HEADER_COUNT);
  }

  @Test
  void acceptsObsTextInFieldValues() {
    assertThat(parse(get("X-A: caf\u00e9 \u00ff\r\n")).header("x-a")).isEqualTo("caf\u00e9 \u00ff");
  }

  // ---- the reader's bookkeeping ----

  @Test
  void returnsNullAndConsumesNothingUntilTheHeadIsComplete() {
    RequestHeadReader reader = new RequestHeadReader();
    ByteBuf in = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n", StandardCharsets.ISO_8859_1);
    try {
      assertThat(read(reader, in)).isNull();
      assertThat(in.readerIndex()).isZero();
      assertThat(reader.inProgress()).isTrue();
      in.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      RequestHead h = read(reader, in);
      assertThat(h).isNotNull();
      assertThat(in.isReadable()).isFalse();
      assertThat(reader.inProgress()).isFalse();
    } finally {
      in.release();
    }
  }

  @Test
  void consumesExactlyTheHeadAndLeavesTheBodyAndNextRequest() {
    RequestHeadReader reader = new RequestHeadReader();
    String first = "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
    ByteBuf in = Unpooled.copiedBuffer(first + "abc" + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.ISO_8859_1);
    try {
      RequestHead h = read(reader, in);
      assertThat(h.path()).isEqualTo("/1");
      assertThat(in.readerIndex()).isEqualTo(first.length());
      in.skipBytes(3);
      assertThat(read(reader, in).path()).isEqualTo("/2");
      assertThat(in.isReadable()).isFalse();
    } finally {
      in.release();
    }
  }

  @Test
  void refusesAPartialHeadAsSoonAsItExceedsMaxHeaderSize() {
    RequestHeadReader reader = new RequestHeadReader();
    ByteBuf in = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\nX-A: " + "a".repeat(MAX_HEADER_SIZE), StandardCharsets.ISO_8859_1);
    try {
      assertThatThrownBy(() -> read(reader, in))
          .isInstanceOfSatisfying(HttpParseException.class, e -> {
            assertThat(e.status()).isEqualTo(431);
            assertThat(e.getMessage()).isEqualTo("request head larger than 4096 bytes");
          });
    } finally {
      in.release();
    }
  }

  // ---- helpers ----

  private static Arguments refuse(String description, String raw, int status, String message) {
    return arguments(description, raw, status, message);
  }

  private static String get(String fields) {
    return "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n";
  }

  private static String post(String fields) {
    return "POST / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n";
  }

  private static String host(String value) {
    return "GET / HTTP/1.1\r\nHost: " + value + "\r\n\r\n";
  }

  private static String target(String target) {
    return "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n";
  }

  private static @Nullable RequestHead read(RequestHeadReader reader, ByteBuf in) {
    return reader.read(in, MAX_HEADER_SIZE, MAX_URI_LENGTH, MAX_HEADER_COUNT);
  }

  /** Parses a head that arrives in one piece; fails when it is incomplete. */
  static RequestHead parse(String raw) {
    ByteBuf in = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
    try {
      RequestHead h = read(new RequestHeadReader(), in);
      assertThat(h).as("a complete head").isNotNull();
      return h;
    } finally {
      in.release();
    }
  }

  /** Parses a head that arrives one byte per read, into one accumulating buffer. */
  static RequestHead parseByteAtATime(String raw) {
    byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
    RequestHeadReader reader = new RequestHeadReader();
    ByteBuf in = Unpooled.buffer();
    try {
      for (int i = 0; i < bytes.length; i++) {
        in.writeByte(bytes[i]);
        RequestHead h = read(reader, in);
        if (h != null) {
          assertThat(i).as("head complete at its last byte").isEqualTo(bytes.length - 1);
          return h;
        }
      }
      throw new AssertionError("head incomplete");
    } finally {
      in.release();
    }
  }

  private static String describe(RequestHead h) {
    List<String> fields = new ArrayList<>();
    for (int i = 0; i < h.headerCount(); i++) fields.add(h.headerName(i) + ": " + h.headerValue(i));
    return String.join("|", h.method(), h.target(), h.path(), String.valueOf(h.query()), h.host(), h.authority(),
        "cl=" + h.contentLength(), "chunked=" + h.isChunked(), "continue=" + h.expectsContinue(),
        "keepAlive=" + h.keepAlive(), "http10=" + h.isHttp10(), fields.toString());
  }

  private static String encodedRequestLine(RequestHead h) {
    ByteBuf out = Unpooled.buffer();
    try {
      h.setClientIp("192.0.2.1");
      h.encodeForUpstream(out, null, null, new byte[0]);
      String s = out.toString(StandardCharsets.ISO_8859_1);
      return s.substring(0, s.indexOf("\r\n"));
    } finally {
      out.release();
    }
  }
}
