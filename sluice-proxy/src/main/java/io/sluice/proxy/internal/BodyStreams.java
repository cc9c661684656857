package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.proxy.filter.internal.BodyStreamChain;
import io.sluice.proxy.filter.internal.FilterExchange;
import io.sluice.proxy.filter.internal.TrailerFields;
import io.sluice.proxy.message.ChunkDecoder;
import io.sluice.proxy.message.RequestRejectedException;
import io.sluice.proxy.message.ResponseMessage;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP/1.1 side of the streaming body filters ({@link io.sluice.filter.Filter#streamRequestBody()},
 * {@link io.sluice.filter.Filter#streamResponseBody()}) for one {@link ProxyExchange}: removes the
 * received framing (a chunked body is decoded here, trailers included; the codecs have validated
 * it already), runs the content through a {@link BodyStreamChain} per direction, and frames what
 * comes out again: chunked, since a filter may change the length (the request always; the
 * response unless the client speaks HTTP/1.0, which gets it delimited by the close).
 *
 * <p>Created for the first exchange of a connection whose route streams a body; an exchange that
 * streams nothing never reaches this class. The response head of a streamed response waits here
 * until the filters let the first bytes through (or the body ends), so a filter that holds the
 * body and fails, or holds too much, still gets the client a clean error.
 *
 * <p>Threading: the connection's event loop only.
 */
final class BodyStreams {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LAST_CHUNK = {'0', '\r', '\n'};

  private final ProxyExchange exchange;
  private final Downstream down;
  private final ByteBufAllocator alloc;
  private final BodyStreamChain requestChain;
  private final BodyStreamChain responseChain;
  private final ChunkDecoder requestDecoder = new ChunkDecoder();
  private final ChunkDecoder responseDecoder = new ChunkDecoder();
  private final BodyStreamChain.Sink toUpstream = new ToUpstream();
  private final BodyStreamChain.Sink toClient = new ToClient();
  private final ChunkDecoder.DataSink requestPieces;
  private final ChunkDecoder.DataSink responsePieces;

  private boolean requestChunked;
  private boolean responseChunkedIn;
  private boolean responseChunkedOut;
  /** The response head waiting for the first bytes out of the filters, or null once written. */
  private @Nullable ResponseMessage pendingHead;
  private @Nullable FilterExchange responseFilters;

  BodyStreams(ProxyExchange exchange, Downstream down) {
    this.exchange = exchange;
    this.down = down;
    this.alloc = down.alloc();
    this.requestChain = new BodyStreamChain(false, alloc);
    this.responseChain = new BodyStreamChain(true, alloc);
    this.requestPieces = (buf, i, n) -> requestChain.data(buf.retainedSlice(i, n), toUpstream);
    this.responsePieces = (buf, i, n) -> responseChain.data(buf.retainedSlice(i, n), toClient);
  }

  // ---- the request body

  /** Starts streaming the request body of {@code x}'s exchange; false when no visited filter streams it. */
  boolean beginRequest(FilterExchange x, boolean chunked) {
    if (!requestChain.begin(x)) return false;
    requestChunked = chunked;
    if (chunked) requestDecoder.reset(requestChain.trailers()::received);
    return true;
  }

  /**
   * Body bytes as received ({@code in[from, from + length)}, framing included; the caller keeps its
   * buffer): their content goes through the filters and what comes out to the upstream.
   *
   * @throws RequestRejectedException 413 when a filter held more than its limit, 500 when one failed
   *     (counted here): the connection's framing error path answers and closes
   */
  void requestData(ByteBuf in, int from, int length) {
    try {
      if (requestChunked) {
        requestDecoder.decode(in, from, from + length, requestPieces);
      } else {
        requestChain.data(in.retainedSlice(from, length), toUpstream);
      }
    } catch (BodyStreamChain.Failure f) {
      throw requestFailed(f);
    }
  }

  /** The whole request body has been received: the filters' last calls, then the last chunk and trailers. */
  void requestEnd() {
    try {
      requestChain.end(toUpstream);
    } catch (BodyStreamChain.Failure f) {
      throw requestFailed(f);
    }
  }

  private RequestRejectedException requestFailed(BodyStreamChain.Failure f) {
    if (f.overflow) return new RequestRejectedException(413, f.getMessage());
    exchange.filterFailed(f.where, f.getCause() != null ? f.getCause() : f);
    return new RequestRejectedException(500, f.getMessage());
  }

  // ---- the response body

  /**
   * Starts streaming the response body of {@code x}'s exchange: returns false when no visited
   * filter streams it; else the head waits here ({@link #writeHeadIfPending}).
   */
  boolean beginResponse(FilterExchange x, ResponseMessage head) {
    if (!responseChain.begin(x)) return false;
    pendingHead = head;
    responseFilters = x;
    responseChunkedIn = head.bodyChunked();
    if (responseChunkedIn) responseDecoder.reset(responseChain.trailers()::received);
    return true;
  }

  /** Response body bytes as the upstream stream delivers them (framed when it is chunked); taken. */
  void responseData(ByteBuf data) {
    if (responseChunkedIn) {
      try {
        responseDecoder.decode(data, data.readerIndex(), data.writerIndex(), responsePieces);
      } finally {
        data.release();
      }
    } else {
      responseChain.data(data, toClient);
    }
  }

  /** The response body is complete: the filters' last calls, then the rest, the last chunk and trailers. */
  void responseEnd() {
    responseChain.end(toClient);
  }

  /** Whether nothing of the response has been written yet (the head waits for the filters). */
  boolean responseHeadPending() {
    return pendingHead != null;
  }

  /**
   * Writes the waiting response head; the client's connection decides the framing of a body whose
   * length the filters may change (HTTP/1.1: chunked to an HTTP/1.1 client, delimited by the close
   * to an HTTP/1.0 one), and the body goes out chunked or not as it says.
   */
  private void writeHeadIfPending() {
    ResponseMessage head = pendingHead;
    FilterExchange x = responseFilters;
    if (head == null || x == null) return;
    pendingHead = null;
    head = x.headToWrite(head);
    exchange.streamedHeadWritten(head.status(), down.writeResponseHead(head, x.responseEdits(), false, Downstream.BODY_STREAMED));
    responseChunkedOut = down.responseBodyFramed();
  }

  /** The exchange ended: what the filters hold is released. */
  void reset() {
    requestChain.reset();
    responseChain.reset();
    pendingHead = null;
    responseFilters = null;
  }

  // ---- framing out

  private ByteBuf chunk(ByteBuf content) {
    ByteBuf size = alloc.ioBuffer(18);
    size.writeCharSequence(Integer.toHexString(content.readableBytes()), StandardCharsets.ISO_8859_1);
    size.writeBytes(CRLF);
    CompositeByteBuf c = alloc.compositeBuffer(3);
    c.addComponents(true, size, content, Unpooled.wrappedBuffer(CRLF));
    return c;
  }

  private ByteBuf lastChunk(TrailerFields trailers) {
    ByteBuf out = alloc.ioBuffer(5 + 64 * trailers.size());
    out.writeBytes(LAST_CHUNK);
    for (int i = 0; i < trailers.size(); i++) {
      out.writeCharSequence(trailers.name(i), StandardCharsets.ISO_8859_1);
      out.writeByte(':');
      out.writeByte(' ');
      out.writeCharSequence(trailers.value(i), StandardCharsets.ISO_8859_1);
      out.writeBytes(CRLF);
    }
    out.writeBytes(CRLF);
    return out;
  }

  private final class ToUpstream implements BodyStreamChain.Sink {
    @Override
    public void data(ByteBuf content) {
      exchange.sendStreamedBody(chunk(content));
    }

    @Override
    public void end(TrailerFields trailers) {
      exchange.sendStreamedBody(lastChunk(trailers));
    }
  }

  private final class ToClient implements BodyStreamChain.Sink {
    @Override
    public void data(ByteBuf content) {
      writeHeadIfPending();
      exchange.writeStreamedResponse(responseChunkedOut ? chunk(content) : content);
    }

    @Override
    public void end(TrailerFields trailers) {
      writeHeadIfPending();
      if (responseChunkedOut) exchange.writeStreamedResponse(lastChunk(trailers));
    }
  }
}
