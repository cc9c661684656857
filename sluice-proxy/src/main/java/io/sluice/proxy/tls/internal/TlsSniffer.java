package io.sluice.proxy.tls.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Looks at the first byte a client sends to a TLS listener: a TLS handshake record (0x16) hands the
 * connection to the SNI handler, which chooses the certificate; anything else is a client speaking
 * plain HTTP to an HTTPS port, which gets a 400 saying so and a close (as nginx does) rather than a
 * TLS alert it cannot read or a hang. One per connection, on its event loop.
 */
final class TlsSniffer extends ByteToMessageDecoder {
  /** The TLS record type of a handshake (RFC 8446 §5.1). */
  private static final int HANDSHAKE = 0x16;
  static final String BODY = "plain HTTP request sent to an HTTPS port\n";
  private static final byte[] RESPONSE = ("HTTP/1.1 400 Bad Request\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\n"
      + "Content-Length: " + BODY.length() + "\r\n"
      + "Connection: close\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII);

  private final ServerTls tls;
  private boolean refused;

  TlsSniffer(ServerTls tls) {
    this.tls = tls;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (refused) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!in.isReadable()) return;
    if (in.getUnsignedByte(in.readerIndex()) == HANDSHAKE) {
      // The decoder hands what it has buffered to the SNI handler as it is removed.
      ctx.pipeline().replace(this, "sni", tls.newSniHandler());
      // After the TLS handlers (the SNI handler replaces itself with the SslHandler in place).
      ctx.pipeline().addAfter("sni", "tls-failures", TlsFailures.INSTANCE);
      return;
    }
    refused = true;
    in.skipBytes(in.readableBytes());
    ctx.writeAndFlush(Unpooled.wrappedBuffer(RESPONSE)).addListener(ChannelFutureListener.CLOSE);
  }
}
