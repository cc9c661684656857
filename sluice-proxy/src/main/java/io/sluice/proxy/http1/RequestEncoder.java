package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.UpstreamRequest;
import java.nio.charset.StandardCharsets;

/**
 * Encodes an {@link UpstreamRequest} as an HTTP/1.1 request head. The received head must be this
 * codec's {@link RequestHead}: its fields are copied from the received bytes without building strings.
 */
public final class RequestEncoder {
  private RequestEncoder() {}

  /**
   * The head to send; the caller owns the buffer.
   *
   * @throws IllegalArgumentException when the request was not read by this codec: a request that
   *     came over another protocol has no HTTP/1.1 upstream yet
   */
  public static ByteBuf encode(ByteBufAllocator alloc, UpstreamRequest r) {
    if (!(r.received() instanceof RequestHead h)) {
      throw new IllegalArgumentException("an HTTP/1.1 upstream takes requests read by the HTTP/1.1 codec, not "
          + r.received().protocol() + " ones");
    }
    HeaderEdits edits = r.edits();
    ByteBuf out = alloc.ioBuffer(h.length() + 256 + 64 * edits.addedCount());
    if (!r.isEdited()) {
      h.encodeForUpstream(out, r.path(), r.routeAuthority(), r.viaLine());
    } else {
      String path = r.path();
      h.encodeForUpstream(out, r.method(), path != null ? path : h.path(), r.query(), r.authority(), r.viaLine(),
          edits, r.bodyLength());
    }
    String upgrade = r.upgradeProtocol();
    if (upgrade != null) {
      out.writerIndex(out.writerIndex() - 2); // before the empty line
      out.writeCharSequence("Connection: Upgrade\r\nUpgrade: " + upgrade + "\r\n\r\n", StandardCharsets.ISO_8859_1);
    }
    return out;
  }
}
