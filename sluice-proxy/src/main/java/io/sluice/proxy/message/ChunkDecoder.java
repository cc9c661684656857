package io.sluice.proxy.message;

import io.netty.buffer.ByteBuf;

/**
 * Removes chunk framing from a body whose syntax was already checked — by the HTTP/1.1 codec's
 * parser as a client's or an upstream's chunks arrived, or because the gateway framed the body
 * itself — so it is lenient: it finds the boundaries and trusts the rest. Inside the gateway a body
 * whose length is known only at its end travels in HTTP/1.1's chunk framing, whatever protocol it
 * came in by, which is why this sits with the neutral messages and not in the codec. The chunk data goes
 * to a {@link DataSink} given with each call, the trailer fields to the {@link TrailerSink} given at
 * {@link #reset}. One decoder serves every place a framed body is taken apart: a body streamed
 * through filters, an HTTP/2 upstream's request body, an outbound call's reply.
 *
 * <p>Threading: one instance per message at a time (reset between messages), on its event loop.
 */
public final class ChunkDecoder {
  /** Receives a run of chunk data: {@code buf[index, index + length)}, which the caller keeps (retain a slice to hold it). */
  @FunctionalInterface
  public interface DataSink {
    void data(ByteBuf buf, int index, int length);
  }

  /** Receives a trailer field as sent (the name's case kept, the value stripped of surrounding whitespace). */
  @FunctionalInterface
  public interface TrailerSink {
    void field(String name, String value);
  }

  private static final TrailerSink DROP = (name, value) -> { };
  private static final int SIZE = 0;
  private static final int EXTENSION = 1;
  private static final int DATA = 2;
  private static final int DATA_END = 3;
  private static final int TRAILER = 4;
  private static final int DONE = 5;

  private int state = SIZE;
  private long size;
  private final StringBuilder line = new StringBuilder();
  private TrailerSink trailers = DROP;

  /** Starts a new message whose trailer fields go to {@code trailers}. */
  public void reset(TrailerSink trailers) {
    state = SIZE;
    size = 0;
    line.setLength(0);
    this.trailers = trailers;
  }

  /**
   * Decodes {@code buf[from, to)} (the caller keeps the buffer); each run of chunk data goes to
   * {@code sink}. Returns the index after the last byte of the body: {@code to}, or less when it ended.
   */
  public int decode(ByteBuf buf, int from, int to, DataSink sink) {
    int i = from;
    while (i < to && state != DONE) {
      if (state == DATA) {
        int n = (int) Math.min(size, to - i);
        sink.data(buf, i, n);
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
    return i;
  }

  /** Whether the last chunk and its trailer section have been read. */
  public boolean isDone() {
    return state == DONE;
  }

  private void trailerLine() {
    if (line.isEmpty()) {
      state = DONE;
      return;
    }
    int colon = line.indexOf(":");
    if (colon > 0) trailers.field(line.substring(0, colon), line.substring(colon + 1).strip());
    line.setLength(0);
  }
}
