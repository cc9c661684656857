package io.sluice.proxy.tls.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The first handler of a connection to a TLS listener. It looks at the first byte the client sends:
 * a TLS handshake record (0x16) goes on to the SNI handler it extends, which reads the ClientHello,
 * chooses the certificate (exact name, wildcard, default) and replaces itself with the
 * {@link io.netty.handler.ssl.SslHandler} of that certificate; anything else is a client speaking
 * plain HTTP to an HTTPS port, which gets a 400 saying so and a close (as nginx does) rather than a
 * TLS alert it cannot read or a hang. One handler does both so that a connection costs one pipeline
 * change, not two. The handshake timeout runs from the moment the connection is accepted, so a client
 * that connects and sends nothing is closed too. One per connection, on its event loop.
 */
final class TlsSniffer extends SniHandler {
  /** The TLS record type of a handshake (RFC 8446 §5.1). */
  private static final int HANDSHAKE = 0x16;
  static final String BODY = "plain HTTP request sent to an HTTPS port\n";
  private static final byte[] RESPONSE = ("HTTP/1.1 400 Bad Request\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\n"
      + "Content-Length: " + BODY.length() + "\r\n"
      + "Connection: close\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII);

  private boolean refused;

  TlsSniffer(Mapping<String, SslContext> certificates, long handshakeTimeoutMillis) {
    super(certificates, 0, handshakeTimeoutMillis);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (refused) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!in.isReadable()) return;
    if (in.getUnsignedByte(in.readerIndex()) == HANDSHAKE) {
      super.decode(ctx, in, out);
      return;
    }
    refused = true;
    in.skipBytes(in.readableBytes());
    ctx.writeAndFlush(Unpooled.wrappedBuffer(RESPONSE)).addListener(ChannelFutureListener.CLOSE);
  }
}
