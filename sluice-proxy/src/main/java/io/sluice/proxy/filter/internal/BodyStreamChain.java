package io.sluice.proxy.filter.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.filter.BodyChunk;
import io.sluice.filter.ChunkResult;
import io.sluice.filter.Filter;
import io.sluice.filter.Headers;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Runs one direction of a body through the streaming filters of an exchange
 * ({@link Filter#streamRequestBody()}, {@link Filter#streamResponseBody()}): each piece of content
 * goes through the filters in order (request: chain order; response: reverse order), each of which
 * may keep, replace or drop it, or hold it ({@link ChunkResult#PAUSE}) until its next call; what
 * comes out of the last filter goes to a {@link Sink}. The framing is the caller's: this class sees
 * content only.
 *
 * <p>Ownership: {@link #data} takes the buffer it is given; every buffer is released exactly once,
 * by this class (dropped, replaced, held then released by {@link #reset}) or by the sink it was
 * handed to. A held piece is a composite of the pieces held, so holding copies nothing; a filter
 * that reads {@link BodyChunk#data()} of a piece made of several buffers gets them merged.
 *
 * <p>Failures: a filter that throws, returns null or holds more than its declared limit stops the
 * chain with a {@link Failure}; what was held is released and later calls are no-ops.
 *
 * <p>One instance per direction of a connection, reused for its exchanges ({@link #begin},
 * {@link #reset}); the event loop only.
 */
public final class BodyStreamChain {
  /** Where the content that passed every filter goes. */
  public interface Sink {
    /** Content bytes (never empty); the callee owns the buffer. */
    void data(ByteBuf content);

    /** The end of the body, with its trailer fields (read them during the call). */
    void end(TrailerFields trailers);
  }

  /** A streaming filter failed ({@link #overflow}: held more than its limit); the body cannot go on. */
  public static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The filter's place, as errors name it. */
    public final String where;
    /** The filter held more than its declared limit (rather than throwing). */
    public final boolean overflow;

    Failure(String where, boolean overflow, String message, @Nullable Throwable cause) {
      super(message, cause, false, false);
      this.where = where;
      this.overflow = overflow;
    }

    /** The message given at construction: never null. */
    @Override
    @SuppressWarnings("NullAway") // always constructed with a message
    public String getMessage() {
      return super.getMessage();
    }
  }

  private final boolean response;
  private final ChunkView view = new ChunkView();
  private final TrailerFields trailers;
  private final ByteBufAllocator alloc;
  /** The streaming filters of this body, in call order. */
  private FilterChain.Link[] links = new FilterChain.Link[4];
  /** What each filter holds after a PAUSE, or null. */
  private @Nullable ByteBuf[] held = new ByteBuf[4];
  private int count;
  private @Nullable FilterExchange exchange;
  private boolean failed;

  /** @param response true for the response body (filters in reverse order), false for the request body */
  public BodyStreamChain(boolean response, ByteBufAllocator alloc) {
    this.response = response;
    this.alloc = alloc;
    this.trailers = new TrailerFields(response);
  }

  /**
   * Starts a body of the exchange {@code x} is running: its filters are those whose request phase
   * was entered and that stream this direction. Returns false, and nothing is to be fed, when there
   * are none.
   */
  public boolean begin(FilterExchange x) {
    reset();
    FilterChain c = x.chain();
    if (c == null || !(response ? c.streamsResponseBody() : c.streamsRequestBody())) return false;
    int n = x.visitedCount();
    for (int k = 0; k < n; k++) {
      FilterChain.Link l = c.link(x.visitedAt(response ? n - 1 - k : k));
      if ((response ? l.responseStreamLimit : l.requestStreamLimit) > 0) {
        if (count == links.length) {
          links = Arrays.copyOf(links, count * 2);
          held = Arrays.copyOf(held, count * 2);
        }
        links[count++] = l;
      }
    }
    exchange = count > 0 ? x : null;
    return count > 0;
  }

  /** The trailer fields of the body: the caller adds those it received before {@link #end}. */
  public TrailerFields trailers() {
    return trailers;
  }

  /**
   * A piece of content (taken: released here or passed on to {@code out}).
   *
   * @throws Failure when a filter fails or holds more than its limit
   */
  public void data(ByteBuf content, Sink out) {
    if (failed || exchange == null) {
      content.release();
      return;
    }
    run(content, false, out);
  }

  /**
   * The end of the body: each filter gets its last call (with what it held), then {@code out} the
   * rest of the content and the trailers.
   *
   * @throws Failure when a filter fails
   */
  public void end(Sink out) {
    if (failed || exchange == null) return;
    if (run(Unpooled.EMPTY_BUFFER, true, out)) out.end(trailers);
  }

  /** Releases what the filters hold and forgets the exchange; safe to call at any time. */
  public void reset() {
    for (int i = 0; i < count; i++) {
      ByteBuf h = held[i];
      held[i] = null;
      if (h != null) h.release();
    }
    // links[] keeps its references until the next begin overwrites them: a few config objects.
    count = 0;
    exchange = null;
    failed = false;
    trailers.clear();
  }

  /** Runs {@code data} through the filters; false when it stopped (held) before the end. */
  private boolean run(ByteBuf data, boolean last, Sink out) {
    for (int i = 0; i < count; i++) {
      ByteBuf h = held[i];
      if (h != null) {
        held[i] = null;
        data = join(h, data);
      }
      ByteBuf next = call(i, data, last);
      if (next == null) return false;
      data = next;
    }
    if (data.isReadable()) {
      out.data(data);
    } else {
      data.release();
    }
    return true;
  }

  private ByteBuf join(ByteBuf held, ByteBuf more) {
    if (!more.isReadable()) {
      more.release();
      return held;
    }
    CompositeByteBuf all;
    if (held instanceof CompositeByteBuf c) {
      all = c;
    } else {
      all = alloc.compositeBuffer(64);
      all.addComponent(true, held);
    }
    all.addComponent(true, more);
    return all;
  }

  /** Calls filter {@code i} with {@code data}: returns what goes on, or null when the filter holds it. */
  private @Nullable ByteBuf call(int i, ByteBuf data, boolean last) {
    FilterChain.Link l = links[i];
    FilterExchange x = exchange;
    if (x == null) throw new IllegalStateException("no body in progress");
    view.open(data, last);
    ChunkResult r;
    try {
      r = response ? l.filter.onResponseChunk(x, view) : l.filter.onRequestChunk(x, view);
    } catch (RuntimeException e) {
      view.close();
      data.release();
      throw fail(new Failure(l.where, false, "filter " + l.where + " failed", e));
    }
    byte[] replacement = view.close();
    if (replacement != null) {
      data.release();
      data = replacement.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(replacement);
    }
    if (r == null) {
      data.release();
      throw fail(new Failure(l.where, false, "filter " + l.where + " failed",
          new NullPointerException(l.where + ": " + (response ? "onResponseChunk" : "onRequestChunk")
              + " returned null; expected CONTINUE or PAUSE")));
    }
    if (r == ChunkResult.PAUSE && !last) {
      long limit = response ? l.responseStreamLimit : l.requestStreamLimit;
      if (data.readableBytes() > limit) {
        data.release();
        throw fail(new Failure(l.where, true, (response ? "response" : "request") + " body held by filter " + l.where
            + " is larger than its limit of " + limit + " bytes", null));
      }
      held[i] = data;
      return null;
    }
    return data;
  }

  private Failure fail(Failure f) {
    failed = true;
    for (int i = 0; i < count; i++) {
      ByteBuf h = held[i];
      held[i] = null;
      if (h != null) h.release();
    }
    return f;
  }

  /** The chunk a filter sees; one per chain, valid during one call. */
  private final class ChunkView implements BodyChunk {
    private @Nullable ByteBuf data;
    private boolean last;
    private byte @Nullable [] replacement;
    private @Nullable ByteBuffer nio;

    void open(ByteBuf data, boolean last) {
      this.data = data;
      this.last = last;
      this.replacement = null;
      this.nio = null;
    }

    byte @Nullable [] close() {
      byte[] r = replacement;
      data = null;
      replacement = null;
      nio = null;
      return r;
    }

    private ByteBuf current() {
      ByteBuf d = data;
      if (d == null) throw new IllegalStateException("a BodyChunk is valid only during the call it was passed to");
      return d;
    }

    @Override
    public ByteBuffer data() {
      ByteBuf d = current();
      ByteBuffer b = nio;
      if (b == null) {
        byte[] r = replacement;
        b = r != null ? ByteBuffer.wrap(r) : d.nioBuffer(d.readerIndex(), d.readableBytes());
        nio = b = b.asReadOnlyBuffer();
      }
      return b.duplicate();
    }

    @Override
    public int length() {
      ByteBuf d = current();
      byte[] r = replacement;
      return r != null ? r.length : d.readableBytes();
    }

    @Override
    public boolean isLast() {
      current();
      return last;
    }

    @Override
    public void replace(byte[] bytes) {
      current();
      if (bytes == null) throw new IllegalArgumentException("replace(null): expected the bytes of the chunk, or drop()");
      replacement = bytes;
      nio = null;
    }

    @Override
    public void drop() {
      replace(new byte[0]);
    }

    @Override
    public Headers trailers() {
      current();
      if (!last) throw new IllegalStateException("trailers are available on the last chunk only (isLast())");
      return trailers;
    }
  }
}
