package io.sluice.admin.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * Aggregates request bodies up to a limit. Beyond it, instead of Netty's plain-text 413, it passes
 * a {@link TooLarge} on to {@link AdminHttpHandler}, which answers with the API's JSON error in turn
 * with the responses before it; the rest of the oversized body is discarded as it arrives.
 *
 * <p>A head that expects {@code 100 Continue} is admitted first (browser rules, then the token):
 * Netty's aggregator would invite the body before any handler saw the request, telling an
 * unauthenticated client to upload. A refused head becomes a {@link Refused} for
 * {@link AdminHttpHandler}, which answers it and closes the connection; everything after it on the
 * connection is discarded. Event loop only.
 */
final class BodyLimit extends HttpObjectAggregator {
  /** An oversized request was refused; {@code close} when the connection cannot be reused. */
  record TooLarge(long limit, boolean close) {}

  /** A head expecting {@code 100 Continue} was refused before its body was invited. */
  record Refused(ApiError error) {}

  private final BrowserGuard guard;
  private final Authenticator authenticator;
  /** A head was refused: the connection closes after its answer, nothing more is read. */
  private boolean refused;

  BodyLimit(int maxContentLength, BrowserGuard guard, Authenticator authenticator) {
    super(maxContentLength);
    this.guard = guard;
    this.authenticator = authenticator;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (refused) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest head && !(msg instanceof FullHttpMessage) && head.decoderResult().isSuccess()
        && HttpUtil.is100ContinueExpected(head)) {
      try {
        AdminHttpHandler.admit(guard, authenticator, head.method(), head.headers(), (InetSocketAddress) ctx.channel().localAddress());
      } catch (ApiError e) {
        refused = true;
        ReferenceCountUtil.release(msg);
        ctx.fireChannelRead(new Refused(e));
        return;
      }
    }
    super.channelRead(ctx, msg);
  }

  @Override
  protected @Nullable Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    // An oversized request that expects 100-continue is answered by handleOversizedMessage with our
    // 413, not with Netty's plain-text one (the client has not sent its body, so the connection stays usable).
    if (HttpUtil.is100ContinueExpected(start) && isContentLengthInvalid(start, maxContentLength)) return null;
    return super.newContinueResponse(start, maxContentLength, pipeline);
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    boolean expectsContinue = HttpUtil.is100ContinueExpected(oversized);
    if (expectsContinue) {
      // The body will not come: the decoder must read the next request instead (as Netty's own 413 does).
      ctx.pipeline().fireUserEventTriggered(HttpExpectationFailedEvent.INSTANCE);
    }
    boolean close = oversized instanceof FullHttpMessage || !expectsContinue && !HttpUtil.isKeepAlive(oversized);
    ctx.fireChannelRead(new TooLarge(maxContentLength(), close));
  }
}
