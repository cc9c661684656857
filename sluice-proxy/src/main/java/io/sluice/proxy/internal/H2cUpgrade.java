package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import io.sluice.proxy.http1.HttpParseException;
import io.sluice.proxy.http1.RequestHead;
import io.sluice.proxy.http1.RequestHeadReader;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * HTTP/1.1's {@code Upgrade: h2c} (RFC 7540 §3.2; what the JDK's {@code HttpClient} and {@code curl
 * --http2} send on {@code http://}) on a plain listener that serves both HTTP/1.1 and h2c: the first
 * request of a connection that asks for it is answered {@code 101 Switching Protocols}, and its
 * response comes on HTTP/2 stream 1, as the RFC says.
 *
 * <p>Only a request that Sluice's own strict HTTP/1.1 parser accepts, whose {@code Connection}
 * names {@code Upgrade} and {@code HTTP2-Settings}, with exactly one valid {@code HTTP2-Settings},
 * whose body has a Content-Length within {@link #bodyLimit}, and whose head came whole with the
 * connection's first bytes is upgraded. The body arrives
 * before the switch, so it is held in memory; that bound keeps it small. Anything else (a chunked
 * body, a larger one, HTTP/1.0, a malformed head) goes to the HTTP/1.1 handler, which ignores the
 * Upgrade (RFC 9110 §7.8 lets a server) or refuses the request as it would any other. Later
 * requests of a connection are never upgraded: clients ask on the first.
 *
 * <p>The upgrade itself is Netty's: {@link HttpServerUpgradeHandler} reads the request (its body
 * bounded by the same limit), writes the 101, and {@link Http2ServerUpgradeCodec} puts the HTTP/2
 * handlers in place and hands the request to the frame codec as stream 1, which then reaches an
 * {@link Http2StreamDownstream} like any stream. Netty's HTTP/1.1 codec reads only this one request,
 * and only after Sluice's parser has accepted its head.
 *
 * <p>Threading: the connection's event loop.
 */
final class H2cUpgrade {
  private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};
  private static final AsciiString H2C = AsciiString.cached("h2c");

  /** What to do with a connection's first bytes. */
  enum Verdict {
    /** An h2c upgrade: {@link #install} it. */
    UPGRADE,
    /** HTTP/1.1 as usual. */
    HTTP1
  }

  private H2cUpgrade() {}

  /**
   * The largest request body an upgrade request may have: it is held in memory until the switch.
   * The listener's {@code limits.requestBuffer} (at least 64 KiB), and never more than its {@code
   * limits.maxBodySize}.
   */
  static long bodyLimit(ListenerConfig c) {
    return Math.min(c.maxBodySize, Math.max(c.requestBufferBytes, 64 * 1024));
  }

  /** Whether the connection's first bytes in {@code in} (not consumed) are an h2c upgrade request. */
  static Verdict decide(ByteBuf in, ListenerConfig c) {
    int end = indexOf(in, END_OF_HEAD);
    // Only a head that came whole with the connection's first bytes (as upgrading clients send it) is
    // looked at: waiting for the rest here would hide a partial head from the HTTP/1.1 handler, whose
    // header-read timeout (408) is the slow-loris guard.
    if (end < 0) return Verdict.HTTP1;
    // Most first requests do not mention h2c at all: they cost this scan, no parse.
    if (!containsIgnoreCase(in, in.readerIndex(), end, H2C)) return Verdict.HTTP1;
    return upgradeSettings(in, c) == null ? Verdict.HTTP1 : Verdict.UPGRADE;
  }

  /**
   * Puts Netty's HTTP/1.1 codec and upgrade handler after {@code ctx} for the request {@link
   * #decide} found in {@code in}, which then goes to them when the caller leaves the pipeline; or,
   * when the request's HTTP2-Settings do not decode, nothing (HTTP/1.1 serves the request).
   */
  static void install(ChannelHandlerContext ctx, ListenerRuntime runtime, ListenerConfig c, ByteBuf in) {
    String settings = upgradeSettings(in, c);
    if (settings == null) return;
    Http2Pipelines.Handlers h2 = Http2Pipelines.handlers(runtime, c);
    Upgrade upgrade = new Upgrade(h2);
    HttpHeaders probe = new DefaultHttpHeaders();
    FullHttpRequest settingsOnly = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    settingsOnly.headers().set(Http2CodecUtil.HTTP_UPGRADE_SETTINGS_HEADER, settings);
    boolean valid;
    try {
      valid = upgrade.codec.prepareUpgradeResponse(ctx, settingsOnly, probe);
    } finally {
      settingsOnly.release();
    }
    if (!valid) return;
    HttpServerCodec http = new HttpServerCodec(c.maxUriLength + 64, c.maxHeaderSize, 16 * 1024);
    HttpServerUpgradeHandler handler = new HttpServerUpgradeHandler(http,
        protocol -> H2C.contentEqualsIgnoreCase(protocol) ? upgrade : null, (int) bodyLimit(c));
    String name = ctx.name();
    ctx.pipeline().addAfter(name, "h2c-http1", http);
    ctx.pipeline().addAfter("h2c-http1", "h2c-upgrade", handler);
  }

  /**
   * The HTTP2-Settings of the upgrade request whose head is complete in {@code in}, or null when it
   * is not one that is upgraded (see the class comment).
   */
  private static @Nullable String upgradeSettings(ByteBuf in, ListenerConfig c) {
    RequestHead head;
    try {
      head = new RequestHeadReader().read(in.duplicate(), c.maxHeaderSize, c.maxUriLength, c.maxHeaderCount);
    } catch (HttpParseException e) {
      return null;
    }
    if (head == null || head.isHttp10() || head.bodyChunked() || head.contentLength() > bodyLimit(c)) return null;
    boolean h2c = false;
    boolean connectionUpgrade = false;
    boolean connectionSettings = false;
    String settings = null;
    for (int i = 0; i < head.headerCount(); i++) {
      if (head.headerNameIs(i, "upgrade")) {
        h2c |= hasToken(head.headerValue(i), "h2c");
      } else if (head.headerNameIs(i, "connection")) {
        connectionUpgrade |= hasToken(head.headerValue(i), "upgrade");
        connectionSettings |= hasToken(head.headerValue(i), "http2-settings");
      } else if (head.headerNameIs(i, "http2-settings")) {
        if (settings != null) return null;
        settings = head.headerValue(i);
      }
    }
    return h2c && connectionUpgrade && connectionSettings ? settings : null;
  }

  private static boolean hasToken(String list, String token) {
    int from = 0;
    while (from <= list.length()) {
      int comma = list.indexOf(',', from);
      int to = comma < 0 ? list.length() : comma;
      if (list.substring(from, to).trim().equalsIgnoreCase(token)) return true;
      if (comma < 0) return false;
      from = comma + 1;
    }
    return false;
  }

  /** The index of the byte after {@code needle} in {@code in}'s readable bytes, or -1. */
  private static int indexOf(ByteBuf in, byte[] needle) {
    int last = in.writerIndex() - needle.length;
    for (int i = in.readerIndex(); i <= last; i++) {
      int k = 0;
      while (k < needle.length && in.getByte(i + k) == needle[k]) k++;
      if (k == needle.length) return i + k;
    }
    return -1;
  }

  private static boolean containsIgnoreCase(ByteBuf in, int from, int to, AsciiString lower) {
    int n = lower.length();
    for (int i = from; i <= to - n; i++) {
      int k = 0;
      while (k < n && Character.toLowerCase((char) (in.getByte(i + k) & 0xff)) == lower.charAt(k)) k++;
      if (k == n) return true;
    }
    return false;
  }

  /**
   * Netty's HTTP/2 upgrade codec, which also takes the connection from the HTTP/1.1 handler and
   * names the request's scheme (Netty's conversion to HTTP/2 headers needs {@code :scheme}).
   */
  private static final class Upgrade implements HttpServerUpgradeHandler.UpgradeCodec {
    private final Http2ServerUpgradeCodec codec;

    Upgrade(Http2Pipelines.Handlers h2) {
      this.codec = new Http2ServerUpgradeCodec(h2.codec(), h2.streams(), h2.connection());
    }

    @Override
    public Collection<CharSequence> requiredUpgradeHeaders() {
      return codec.requiredUpgradeHeaders();
    }

    @Override
    public boolean prepareUpgradeResponse(ChannelHandlerContext ctx, FullHttpRequest request, HttpHeaders headers) {
      return codec.prepareUpgradeResponse(ctx, request, headers);
    }

    @Override
    public void upgradeTo(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (!Http2Pipelines.handOver(ctx)) return;
      request.headers().set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), "http");
      request.headers().remove(HttpHeaderNames.UPGRADE);
      codec.upgradeTo(ctx, request);
    }
  }
}
