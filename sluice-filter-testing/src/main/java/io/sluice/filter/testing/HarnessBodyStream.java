package io.sluice.filter.testing;

import io.sluice.filter.BodyChunk;
import io.sluice.filter.ChunkResult;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.HeaderRules;
import io.sluice.filter.Headers;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Runs one body through a filter's streaming hook ({@link Filter#onRequestChunk} or
 * {@link Filter#onResponseChunk}) with the rules of sluice-proxy's {@code BodyStreamChain}: the
 * pieces in order, then a last call with the trailers; a {@link ChunkResult#PAUSE} holds the bytes
 * and hands them back joined to the next piece; holding more than the declared limit fails with
 * {@link Overflow}. Keep the two in step.
 *
 * <p>Threading: the harness's loop only.
 */
final class HarnessBodyStream implements BodyChunk {
  private static final byte[] EMPTY = new byte[0];

  /** The filter held more than its declared limit. */
  static final class Overflow extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Overflow(String message) {
      super(message, null, false, false);
    }

    /** The message given at construction: never null. */
    @Override
    @SuppressWarnings("NullAway") // always constructed with a message
    public String getMessage() {
      return super.getMessage();
    }
  }

  private final Filter filter;
  private final Exchange exchange;
  private final boolean response;
  private final long limit;
  private final String where;
  private final Trailers trailers;
  /** The pieces that came out of the filter, in order (also after a failure: what got through). */
  private final List<byte[]> out = new ArrayList<>();

  private byte @Nullable [] data;
  private byte @Nullable [] replacement;
  private boolean last;

  HarnessBodyStream(Filter filter, Exchange exchange, boolean response, long limit, String where, List<HeaderField> received) {
    this.filter = filter;
    this.exchange = exchange;
    this.response = response;
    this.limit = limit;
    this.where = where;
    this.trailers = new Trailers(response, received);
  }

  /**
   * Streams {@code pieces} through the filter, then the end.
   *
   * @throws Overflow when the filter holds more than its limit
   * @throws RuntimeException what the filter throws (or a NullPointerException for a null result)
   */
  void run(List<byte[]> pieces) {
    byte[] held = null;
    for (int i = 0; i <= pieces.size(); i++) {
      boolean end = i == pieces.size();
      byte[] d = end ? EMPTY : pieces.get(i);
      if (held != null) {
        byte[] joined = new byte[held.length + d.length];
        System.arraycopy(held, 0, joined, 0, held.length);
        System.arraycopy(d, 0, joined, held.length, d.length);
        d = joined;
        held = null;
      }
      data = d;
      last = end;
      replacement = null;
      ChunkResult r;
      try {
        r = response ? filter.onResponseChunk(exchange, this) : filter.onRequestChunk(exchange, this);
      } finally {
        data = null;
      }
      byte[] rep = replacement;
      if (rep != null) d = rep;
      if (r == null) {
        throw new NullPointerException(where + ": " + (response ? "onResponseChunk" : "onRequestChunk")
            + " returned null; expected CONTINUE or PAUSE");
      }
      if (r == ChunkResult.PAUSE && !end) {
        if (d.length > limit) {
          throw new Overflow((response ? "response" : "request") + " body held by filter " + where
              + " is larger than its limit of " + limit + " bytes");
        }
        held = d;
        continue;
      }
      if (d.length > 0) out.add(d);
    }
  }

  List<byte[]> out() {
    return List.copyOf(out);
  }

  byte[] body() {
    int n = 0;
    for (byte[] b : out) n += b.length;
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] b : out) {
      System.arraycopy(b, 0, all, at, b.length);
      at += b.length;
    }
    return all;
  }

  List<HeaderField> trailerFields() {
    return List.copyOf(trailers.fields);
  }

  // ---- BodyChunk

  private byte[] current() {
    byte[] d = data;
    if (d == null) throw new IllegalStateException("a BodyChunk is valid only during the call it was passed to");
    return d;
  }

  @Override
  public ByteBuffer data() {
    byte[] d = current();
    byte[] r = replacement;
    return ByteBuffer.wrap(r != null ? r : d).asReadOnlyBuffer();
  }

  @Override
  public int length() {
    byte[] d = current();
    byte[] r = replacement;
    return r != null ? r.length : d.length;
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
  }

  @Override
  public void drop() {
    replace(EMPTY);
  }

  @Override
  public Headers trailers() {
    current();
    if (!last) throw new IllegalStateException("trailers are available on the last chunk only (isLast())");
    return trailers;
  }

  /** Trailer fields with the gateway's rules: checked like header edits, and never Host. */
  private static final class Trailers implements Headers {
    private final boolean response;
    final List<HeaderField> fields;

    Trailers(boolean response, List<HeaderField> received) {
      this.response = response;
      this.fields = new ArrayList<>(received);
    }

    @Override
    public @Nullable String get(String name) {
      return Fields.first(fields, name);
    }

    @Override
    public List<String> getAll(String name) {
      return Fields.all(fields, name);
    }

    @Override
    public boolean contains(String name) {
      return get(name) != null;
    }

    @Override
    public void set(String name, String value) {
      check(name, value);
      fields.removeIf(f -> f.name().equalsIgnoreCase(name));
      fields.add(new HeaderField(name, value));
    }

    @Override
    public void add(String name, String value) {
      check(name, value);
      fields.add(new HeaderField(name, value));
    }

    @Override
    public void remove(String name) {
      HeaderRules.checkName(name, response);
      checkNotHost(name);
      fields.removeIf(f -> f.name().equalsIgnoreCase(name));
    }

    @Override
    public void forEach(BiConsumer<String, String> action) {
      for (HeaderField f : fields) action.accept(f.name(), f.value());
    }

    private void check(String name, String value) {
      HeaderRules.check(name, value, response);
      checkNotHost(name);
    }

    private static void checkNotHost(String name) {
      if (name.equalsIgnoreCase("host")) {
        throw new IllegalArgumentException("trailer Host: Host routes the message and cannot be a trailer field");
      }
    }
  }
}
