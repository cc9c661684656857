package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.proxy.filter.internal.BodyStreamChain;
import io.sluice.proxy.filter.internal.FilterExchange;
import io.sluice.proxy.filter.internal.TrailerFields;
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
  }

  // ---- the request body

  /** Starts streaming the request body of {@code x}'s exchange; false when no visited filter streams it. */
  boolean beginRequest(FilterExchange x, boolean chunked) {
    if (!requestChain.begin(x)) return false;
    requestChunked = chunked;
    if (chunked) requestDecoder.reset(requestChain.trailers());
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
        requestDecoder.decode(in, from, from + length, requestChain, toUpstream);
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
    if (responseChunkedIn) responseDecoder.reset(responseChain.trailers());
    return true;
  }

  /** Response body bytes as the upstream stream delivers them (framed when it is chunked); taken. */
  void responseData(ByteBuf data) {
    if (responseChunkedIn) {
      try {
        responseDecoder.decode(data, data.readerIndex(), data.writerIndex(), responseChain, toClient);
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

  /**
   * Removes the chunked framing of a body that a {@link io.sluice.proxy.http1.ChunkedParser} has
   * validated (so it trusts the syntax), handing the chunk data to a chain and the trailer fields
   * to its {@link TrailerFields}. Keeps its place across calls.
   */
  static final class ChunkDecoder {
    private static final int SIZE = 0;
    private static final int EXTENSION = 1;
    private static final int DATA = 2;
    private static final int DATA_END = 3;
    private static final int TRAILER = 4;
    private static final int DONE = 5;

    private int state;
    private long size;
    private final StringBuilder line = new StringBuilder();
    private @Nullable TrailerFields trailers;

    void reset(TrailerFields trailers) {
      state = SIZE;
      size = 0;
      line.setLength(0);
      this.trailers = trailers;
    }

    /** Decodes {@code buf[from, to)} (the caller keeps the buffer): data to {@code chain}, trailers to its fields. */
    void decode(ByteBuf buf, int from, int to, BodyStreamChain chain, BodyStreamChain.Sink out) {
      int i = from;
      while (i < to && state != DONE) {
        if (state == DATA) {
          int n = (int) Math.min(size, to - i);
          chain.data(buf.retainedSlice(i, n), out);
          i += n;
          size -= n;
          if (size == 0) state = DATA_END;
          continue;
        }
        byte b = buf.getByte(i++);
        switch (state) {
          case SIZE -> {
            if (b == '\n') {
              state = size == 0 ? TRAILER : DATA;
            } else if (b == ';') {
              state = EXTENSION;
            } else if (b != '\r' && b != ' ' && b != '\t') {
              size = size * 16 + Character.digit((char) b, 16);
            }
          }
          case EXTENSION -> {
            if (b == '\n') state = size == 0 ? TRAILER : DATA;
          }
          case DATA_END -> {
            if (b == '\n') {
              state = SIZE;
              size = 0;
            }
          }
          case TRAILER -> {
            if (b == '\n') {
              trailerLine();
            } else if (b != '\r') {
              line.append((char) (b & 0xff));
            }
          }
          default -> throw new IllegalStateException("chunk decoder in state " + state);
        }
      }
    }

    private void trailerLine() {
      if (line.isEmpty()) {
        state = DONE;
        return;
      }
      int colon = line.indexOf(":");
      TrailerFields t = trailers;
      if (colon > 0 && t != null) t.received(line.substring(0, colon), line.substring(colon + 1).strip());
      line.setLength(0);
    }
  }
}
