package io.sluice.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.proxy.message.HeaderEdits;
import io.sluice.proxy.message.UpstreamRequest;
import java.nio.charset.StandardCharsets;

/**
 * Encodes an {@link UpstreamRequest} as an HTTP/1.1 request head. A head this codec read ({@link
 * RequestHead}) has its fields copied from the received bytes without building strings; a head
 * another protocol read (HTTP/2) is encoded from its neutral accessors by {@link NeutralRequestEncoder},
 * with the same forwarding policy.
 */
public final class RequestEncoder {
  private RequestEncoder() {}

  /**
   * The head to send; the caller owns the buffer.
   *
   */
  public static ByteBuf encode(ByteBufAllocator alloc, UpstreamRequest r) {
    if (!(r.received() instanceof RequestHead h)) return NeutralRequestEncoder.encode(alloc, r);
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
