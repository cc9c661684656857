package io.sluice.proxy.tls.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits right after a listener connection's TLS handlers and ends a connection whose client broke
 * TLS: garbage where a record should be, a malformed or oversized ClientHello, a failed or timed-out
 * handshake, a refused renegotiation. Those reach the pipeline as an {@link SSLException}, or a
 * {@link DecoderException} around one (or around the SNI parser's own complaint), and are the
 * client's doing, not a bug: the connection is closed (the TLS handler has sent its alert, if any)
 * and logged at DEBUG only, so a flood of them costs no log lines. Any other exception goes on to
 * the connection's handler as before.
 *
 * <p>Stateless and shared by every connection; runs on each connection's event loop.
 */
@ChannelHandler.Sharable
final class TlsFailures extends ChannelInboundHandlerAdapter {
  static final TlsFailures INSTANCE = new TlsFailures();
  private static final Logger log = LoggerFactory.getLogger(TlsFailures.class);

  private TlsFailures() {}

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof SSLException || cause instanceof DecoderException)) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    if (log.isDebugEnabled()) log.debug("{}: TLS failure from the client: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
