package io.sluice.proxy.filter;

import io.sluice.api.ByteSize;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Attribute;
import io.sluice.filter.BodyChunk;
import io.sluice.filter.ChunkResult;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** Streaming body filters for the tests of {@link Filter#streamRequestBody()} and {@link Filter#streamResponseBody()}. */
public final class StreamFilters {
  private StreamFilters() {}

  /** Every call of a {@code test-stream} filter's chunk methods, all instances together. */
  public static final AtomicInteger CALLS = new AtomicInteger();

  /**
   * {@code test-stream}: streams the directions it is told to ({@code request}, {@code response}),
   * holding at most {@code limit} (1 MiB by default), and does to each chunk what {@code mode} says:
   * <ul>
   *   <li>{@code upper}: ASCII upper case;
   *   <li>{@code count}: counts the bytes and, on the last chunk, sets the trailer {@code X-Body-Bytes};
   *   <li>{@code hold}: pauses until the end of the stream, or, with {@code every}, until it holds that many bytes;
   *   <li>{@code fail}: throws once more than {@code failAfter} bytes went through it.
   * </ul>
   */
  public record StreamConfig(String mode, @Nullable Boolean request, @Nullable Boolean response, @Nullable ByteSize limit,
      @Nullable ByteSize every, @Nullable Long failAfter) {}

  private static final Attribute<long[]> COUNTED = Attribute.of("test-stream-counted");

  public static final class Stream implements FilterFactory<StreamConfig> {
    @Override
    public String kind() {
      return "test-stream";
    }

    @Override
    public Class<StreamConfig> configType() {
      return StreamConfig.class;
    }

    @Override
    public void validate(StreamConfig c, Problems problems) {
      if (c.mode() == null) problems.add("mode", "missing; expected upper, count, hold or fail");
    }

    @Override
    public Filter create(StreamConfig c, FilterEnvironment env) {
      long limit = c.limit() == null ? 1 << 20 : c.limit().bytes();
      boolean request = Boolean.TRUE.equals(c.request());
      boolean response = Boolean.TRUE.equals(c.response());
      long every = c.every() == null ? 0 : c.every().bytes();
      long failAfter = c.failAfter() == null ? 0 : c.failAfter();
      return new Filter() {
        @Override
        public long streamRequestBody() {
          return request ? limit : 0;
        }

        @Override
        public long streamResponseBody() {
          return response ? limit : 0;
        }

        @Override
        public ChunkResult onRequestChunk(Exchange x, BodyChunk chunk) {
          return onChunk(x, chunk, 0);
        }

        @Override
        public ChunkResult onResponseChunk(Exchange x, BodyChunk chunk) {
          return onChunk(x, chunk, 1);
        }

        private ChunkResult onChunk(Exchange x, BodyChunk chunk, int direction) {
          CALLS.incrementAndGet();
          switch (c.mode()) {
            case "upper" -> {
              ByteBuffer in = chunk.data();
              byte[] out = new byte[in.remaining()];
              for (int i = 0; i < out.length; i++) {
                byte b = in.get();
                out[i] = b >= 'a' && b <= 'z' ? (byte) (b - 32) : b;
              }
              chunk.replace(out);
              return ChunkResult.CONTINUE;
            }
            case "count" -> {
              long[] counted = counted(x);
              counted[direction] += chunk.length();
              if (chunk.isLast()) chunk.trailers().set("X-Body-Bytes", Long.toString(counted[direction]));
              return ChunkResult.CONTINUE;
            }
            case "hold" -> {
              if (chunk.isLast() || (every > 0 && chunk.length() >= every)) return ChunkResult.CONTINUE;
              return ChunkResult.PAUSE;
            }
            case "fail" -> {
              long[] counted = counted(x);
              counted[direction] += chunk.length();
              if (counted[direction] > failAfter) throw new IllegalStateException("test-stream failed on purpose");
              return ChunkResult.CONTINUE;
            }
            default -> throw new IllegalArgumentException("unknown mode " + c.mode());
          }
        }
      };
    }

    private static long[] counted(Exchange x) {
      long[] counted = x.attribute(COUNTED);
      if (counted == null) {
        counted = new long[2];
        x.setAttribute(COUNTED, counted);
      }
      return counted;
    }
  }
}
