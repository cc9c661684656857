package io.sluice.proxy.http2;

import io.netty.buffer.ByteBuf;
import io.sluice.proxy.message.Trailers;
import org.jspecify.annotations.Nullable;

/**
 * Removes HTTP/1.1 chunk framing from a body the gateway framed itself or already validated (the
 * HTTP/1.1 codec's parser checked a client's chunks as they arrived): the chunk data goes to a
 * sink, the trailer fields into {@link #trailers()}. Inside the gateway a body whose length is known
 * only at its end travels in chunks; this is where it leaves for an HTTP/2 upstream as DATA and
 * trailers. Lenient: the framing's grammar was checked where the bytes came in.
 *
 * <p>Threading: one instance per message, on its event loop.
 */
public final class ChunkDecoder {
  /** Receives the chunk data. */
  @FunctionalInterface
  public interface DataSink {
    void data(ByteBuf buf, int index, int length);
  }

  private static final int SIZE = 0;
  private static final int EXTENSION = 1;
  private static final int DATA = 2;
  private static final int DATA_END = 3;
  private static final int TRAILER = 4;
  private static final int DONE = 5;

  private int state = SIZE;
  private long size;
  private final StringBuilder line = new StringBuilder();
  private @Nullable Trailers trailers;

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

  /** The trailer fields of the body (those that may be trailers, {@link Trailers#allowed}), or null when it had none. */
  public @Nullable Trailers trailers() {
    return trailers;
  }

  private void trailerLine() {
    if (line.isEmpty()) {
      state = DONE;
      return;
    }
    int colon = line.indexOf(":");
    if (colon > 0) {
      String name = line.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT);
      if (Trailers.allowed(name)) {
        Trailers t = trailers;
        if (t == null) trailers = t = new Trailers();
        t.add(name, line.substring(colon + 1).strip());
      }
    }
    line.setLength(0);
  }
}
