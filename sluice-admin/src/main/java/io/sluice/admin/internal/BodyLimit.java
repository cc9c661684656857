package io.sluice.admin.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import org.jspecify.annotations.Nullable;

/**
 * Aggregates request bodies up to a limit. Beyond it, instead of Netty's plain-text 413, it passes
 * a {@link TooLarge} on to {@link AdminHttpHandler}, which answers with the API's JSON error in turn
 * with the responses before it; the rest of the oversized body is discarded as it arrives.
 */
final class BodyLimit extends HttpObjectAggregator {
  /** An oversized request was refused; {@code close} when the connection cannot be reused. */
  record TooLarge(long limit, boolean close) {}

  BodyLimit(int maxContentLength) {
    super(maxContentLength);
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
