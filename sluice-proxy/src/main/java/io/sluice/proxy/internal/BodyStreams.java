package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.proxy.filter.internal.BodyStreamChain;
import io.sluice.proxy.filter.internal.FilterExchange;
import io.sluice.proxy.filter.internal.TrailerFields;
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
 * streams nothing never reaches this class. The response head of a streamed response waits in the
 * exchange until the filters let the first bytes through (or the body ends), so a filter that
 * holds the body and fails, or holds too much, still gets the client a clean error. Knows no
 * codec type: the heads are the connection's and the exchange's business (ArchitectureTest).
 *
 * <p>Threading: the connection's event loop only.
 */
final class BodyStreams {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LAST_CHUNK = {'0', '\r', '\n'};
  private static final byte[] TE_CHUNKED = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.ISO_8859_1);

  private final ProxyExchange exchange;
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
  /** The response head waits (in the exchange) for the first bytes out of the filters. */
  private boolean headPending;

  BodyStreams(ProxyExchange exchange, Downstream down) {
    this.exchange = exchange;
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
   * @throws RequestBodyRefused 413 when a filter held more than its limit, 500 when one failed
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

  private RequestBodyRefused requestFailed(BodyStreamChain.Failure f) {
    if (f.overflow) return new RequestBodyRefused(413, f.getMessage());
    Throwable cause = f.getCause();
    exchange.filterFailed(f.where, cause != null ? cause : f);
    return new RequestBodyRefused(500, f.getMessage());
  }

  /**
   * A streaming filter refused the request body (it failed, or held more than its limit): the
   * connection answers {@link #status} like a framing error, and closes.
   */
  static final class RequestBodyRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    RequestBodyRefused(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    /** The message given at construction: never null. */
    @Override
    @SuppressWarnings("NullAway") // always constructed with a message
    public String getMessage() {
      return super.getMessage();
    }
  }

  /**
   * Rewrites the framing of an encoded upstream request head for a streamed body: its
   * Content-Length (the encoders write the framing field last) becomes chunked.
   */
  static ByteBuf chunkedHead(ByteBuf head) {
    int end = head.writerIndex() - 2; // the blank line's CRLF
    int lineStart = end - 2;
    while (lineStart > head.readerIndex() && head.getByte(lineStart - 1) != '\n') lineStart--;
    if (!startsWithContentLength(head, lineStart, end)) return head;
    head.writerIndex(lineStart);
    head.writeBytes(TE_CHUNKED);
    head.writeBytes(CRLF);
    return head;
  }

  // ---- the response body

  /**
   * Starts streaming the response body of {@code x}'s exchange: returns false when no visited
   * filter streams it; else the head waits in the exchange until the first bytes come out.
   *
   * @param chunkedIn the upstream's body is chunked (it is delivered framed, and decoded here)
   */
  boolean beginResponse(FilterExchange x, boolean chunkedIn, boolean http10Client) {
    if (!responseChain.begin(x)) return false;
    headPending = true;
    responseChunkedIn = chunkedIn;
    responseChunkedOut = !http10Client;
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
    return headPending;
  }

  private void writeHeadIfPending() {
    if (!headPending) return;
    headPending = false;
    exchange.writeStreamedResponseHead();
  }

  /**
   * Adjusts the framing of an encoded response head whose body the filters stream: chunked to an
   * HTTP/1.1 client (a Transfer-Encoding field is added when the upstream's framing was a length or
   * the close), delimited by the close to an HTTP/1.0 one (its Content-Length is removed).
   *
   * @param upstreamChunked the upstream's Transfer-Encoding (ending in chunked) was kept by the encoder
   * @param chunked the body goes to the client chunked
   */
  static void reframeResponseHead(ByteBuf out, boolean upstreamChunked, boolean chunked) {
    if (!chunked) {
      removeContentLength(out);
    } else if (!upstreamChunked) {
      // Announce the chunks before the blank line.
      out.writerIndex(out.writerIndex() - 2);
      out.writeBytes(TE_CHUNKED);
      out.writeBytes(CRLF);
    }
  }

  /** Cuts a Content-Length field out of an encoded head: the close delimits a body whose length may change. */
  private static void removeContentLength(ByteBuf head) {
    int lineStart = head.readerIndex();
    int end = head.writerIndex();
    while (lineStart < end) {
      int lf = head.indexOf(lineStart, end, (byte) '\n');
      if (lf < 0) return;
      if (startsWithContentLength(head, lineStart, lf)) {
        int next = lf + 1;
        byte[] rest = new byte[end - next];
        head.getBytes(next, rest);
        head.setBytes(lineStart, rest);
        head.writerIndex(end - (next - lineStart));
        return;
      }
      lineStart = lf + 1;
    }
  }

  private static boolean startsWithContentLength(ByteBuf head, int from, int to) {
    if (to - from <= CONTENT_LENGTH.length) return false;
    for (int i = 0; i < CONTENT_LENGTH.length; i++) {
      if (Character.toLowerCase((char) head.getByte(from + i)) != CONTENT_LENGTH[i]) return false;
    }
    return true;
  }

  /** The exchange ended: what the filters hold is released. */
  void reset() {
    requestChain.reset();
    responseChain.reset();
    headPending = false;
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
