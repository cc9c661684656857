package io.sluice.proxy.filter;

import io.sluice.filter.Body;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.Request;
import io.sluice.api.ByteSize;
import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * Filter kinds for the SPI tests, registered in this module's test
 * {@code META-INF/services/io.sluice.filter.FilterFactory}: each exercises one part of the SPI
 * through the real proxy.
 */
public final class TestFilters {
  private TestFilters() {}

  /**
   * {@code test-mark}: adds {@code X-Trace: <mark>} to the request in its request phase and to the
   * response in its response phase, so a test sees the order filters ran in.
   *
   * @param mark the mark; required
   * @param marks extra marks added after {@code mark} (to test field paths in errors: each must be non-empty)
   */
  public record MarkConfig(@Nullable String mark, List<String> marks) {
    public MarkConfig {
      marks = marks == null ? List.of() : List.copyOf(marks);
    }
  }

  public static final class Mark implements FilterFactory<MarkConfig> {
    @Override
    public String kind() {
      return "test-mark";
    }

    @Override
    public Class<MarkConfig> configType() {
      return MarkConfig.class;
    }

    @Override
    public void validate(MarkConfig c, Problems problems) {
      if (c.mark() == null) problems.add("mark", "missing; expected a mark");
      for (int i = 0; i < c.marks().size(); i++) {
        if (c.marks().get(i).isEmpty()) problems.add("marks[" + i + "]", "empty; expected a mark");
      }
    }

    @Override
    public Filter create(MarkConfig c, FilterEnvironment env) {
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          x.request().headers().add("X-Trace", c.mark());
          for (String m : c.marks()) x.request().headers().add("X-Trace", m);
          return FilterResult.CONTINUE;
        }

        @Override
        public FilterResult onResponse(Exchange x) {
          x.response().headers().add("X-Trace", c.mark());
          return FilterResult.CONTINUE;
        }
      };
    }
  }

  /**
   * {@code test-result}: ends its request phase with a named result, with a response when
   * {@code status} is set.
   */
  public record ResultConfig(String result, @Nullable Integer status, @Nullable String body) {}

  public static final class Result implements FilterFactory<ResultConfig> {
    @Override
    public String kind() {
      return "test-result";
    }

    @Override
    public Class<ResultConfig> configType() {
      return ResultConfig.class;
    }

    @Override
    public void validate(ResultConfig c, Problems problems) {
      if (c.result() == null) problems.add("result", "missing");
    }

    @Override
    public Filter create(ResultConfig c, FilterEnvironment env) {
      FilterResult r = c.status() == null ? FilterResult.named(c.result())
          : FilterResult.respond(c.result(), LocalResponse.builder(c.status())
              .header("X-Answered-By", "test-result")
              .body("text/plain", c.body() == null ? "" : c.body())
              .build());
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          return r;
        }
      };
    }
  }

  /**
   * {@code test-async}: completes its request phase (and, with {@code response: true}, its response
   * phase) later, on another thread, then sets a header on the exchange's loop.
   */
  public record AsyncConfig(Duration delay, Boolean response, Boolean fail) {
    public AsyncConfig {
      delay = delay == null ? Duration.ofMillis(50) : delay;
      response = response != null && response;
      fail = fail != null && fail;
    }
  }

  public static final class Async implements FilterFactory<AsyncConfig> {
    @Override
    public String kind() {
      return "test-async";
    }

    @Override
    public Class<AsyncConfig> configType() {
      return AsyncConfig.class;
    }

    @Override
    public Filter create(AsyncConfig c, FilterEnvironment env) {
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          CompletableFuture<String> call = new CompletableFuture<>();
          CompletableFuture.delayedExecutor(c.delay().toMillis(), TimeUnit.MILLISECONDS, env.blockingExecutor())
              .execute(() -> {
                if (c.fail()) call.completeExceptionally(new IllegalStateException("the call failed"));
                else call.complete(Thread.currentThread().isVirtual() ? "virtual" : "platform");
              });
          return FilterResult.async(call.thenApplyAsync(thread -> {
            x.request().headers().set("X-Async", "done-on-" + thread);
            return FilterResult.CONTINUE;
          }, x.executor()));
        }

        @Override
        public FilterResult onResponse(Exchange x) {
          if (!c.response()) return FilterResult.CONTINUE;
          return FilterResult.async(CompletableFuture.supplyAsync(() -> "late",
                  CompletableFuture.delayedExecutor(c.delay().toMillis(), TimeUnit.MILLISECONDS))
              .thenApplyAsync(v -> {
                x.response().headers().set("X-Async-Response", v + "-" + x.response().status());
                return FilterResult.CONTINUE;
              }, x.executor()));
        }
      };
    }
  }

  /**
   * {@code test-pending}: its request phase (with {@code response: true}, its response phase
   * instead) returns an async result that only the test completes, through {@link Pending#WAITING},
   * if at all: for the deadline of async results.
   */
  public record PendingConfig(Boolean response) {
    public PendingConfig {
      response = response != null && response;
    }
  }

  public static final class Pending implements FilterFactory<PendingConfig> {
    /** The results handed out, oldest first; a test takes them to complete them (late) or not. */
    public static final BlockingQueue<CompletableFuture<FilterResult>> WAITING = new LinkedBlockingQueue<>();

    @Override
    public String kind() {
      return "test-pending";
    }

    @Override
    public Class<PendingConfig> configType() {
      return PendingConfig.class;
    }

    @Override
    public Filter create(PendingConfig c, FilterEnvironment env) {
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          return c.response() ? FilterResult.CONTINUE : pending();
        }

        @Override
        public FilterResult onResponse(Exchange x) {
          return c.response() ? pending() : FilterResult.CONTINUE;
        }
      };
    }

    private static FilterResult pending() {
      CompletableFuture<FilterResult> f = new CompletableFuture<>();
      WAITING.add(f);
      return FilterResult.async(f);
    }
  }

  /**
   * {@code test-body}: buffers the body (up to {@code limit}) and reports its length and CRC32 to the
   * upstream in headers; with {@code replace}, sends that instead.
   */
  public record BodyConfig(ByteSize limit, @Nullable String replace) {}

  public static final class BodyReader implements FilterFactory<BodyConfig> {
    @Override
    public String kind() {
      return "test-body";
    }

    @Override
    public Class<BodyConfig> configType() {
      return BodyConfig.class;
    }

    @Override
    public void validate(BodyConfig c, Problems problems) {
      if (c.limit() == null) problems.add("limit", "missing");
    }

    @Override
    public Filter create(BodyConfig c, FilterEnvironment env) {
      return new Filter() {
        @Override
        public long bufferRequestBody() {
          return c.limit().bytes();
        }

        @Override
        public FilterResult onRequest(Exchange x) {
          Body b = x.request().body();
          CRC32 crc = new CRC32();
          crc.update(b.asByteBuffer());
          x.request().headers().set("X-Body-Length", Integer.toString(b.length()));
          x.request().headers().set("X-Body-Crc", Long.toString(crc.getValue()));
          if (c.replace() != null) x.request().setBody(c.replace().getBytes(StandardCharsets.UTF_8));
          return FilterResult.CONTINUE;
        }
      };
    }
  }

  /**
   * {@code test-edit}: edits the request (method, path, query, authority, headers) and the response
   * headers, exactly as configured.
   */
  public record EditConfig(
      @Nullable String method, @Nullable String path, @Nullable String query, @Nullable String authority,
      Map<String, String> set, List<String> remove, Map<String, String> setResponse, List<String> removeResponse,
      @Nullable Integer replaceStatus, @Nullable ByteSize limitBody) {
    public EditConfig {
      set = set == null ? Map.of() : Map.copyOf(set);
      remove = remove == null ? List.of() : List.copyOf(remove);
      setResponse = setResponse == null ? Map.of() : Map.copyOf(setResponse);
      removeResponse = removeResponse == null ? List.of() : List.copyOf(removeResponse);
    }
  }

  public static final class Edit implements FilterFactory<EditConfig> {
    @Override
    public String kind() {
      return "test-edit";
    }

    @Override
    public Class<EditConfig> configType() {
      return EditConfig.class;
    }

    @Override
    public Filter create(EditConfig c, FilterEnvironment env) {
      LocalResponse replacement = c.replaceStatus() == null ? null
          : LocalResponse.builder(c.replaceStatus()).body("text/plain", "replaced\n").build();
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          Request r = x.request();
          if (c.method() != null) r.setMethod(c.method());
          if (c.path() != null) r.setPath(c.path());
          if (c.query() != null) r.setQuery(c.query().equals("-") ? null : c.query());
          if (c.authority() != null) r.setAuthority(c.authority());
          c.set().forEach(r.headers()::set);
          c.remove().forEach(r.headers()::remove);
          if (c.limitBody() != null) r.limitBodySize(c.limitBody().bytes());
          return FilterResult.CONTINUE;
        }

        @Override
        public FilterResult onResponse(Exchange x) {
          c.setResponse().forEach(x.response().headers()::set);
          c.removeResponse().forEach(x.response().headers()::remove);
          return replacement == null ? FilterResult.CONTINUE : FilterResult.respond(replacement);
        }
      };
    }
  }

  /**
   * {@code test-fail}: throws an IllegalStateException in its request phase (with {@code response:
   * true}, in its response phase); with {@code error: true}, an AssertionError instead, which the
   * filter runtime does not catch (an Error is not a filter's failure to answer for).
   */
  public record FailConfig(Boolean response, Boolean error) {}

  public static final class Fail implements FilterFactory<FailConfig> {
    @Override
    public String kind() {
      return "test-fail";
    }

    @Override
    public Class<FailConfig> configType() {
      return FailConfig.class;
    }

    @Override
    public Filter create(FailConfig c, FilterEnvironment env) {
      boolean inResponse = Boolean.TRUE.equals(c.response());
      boolean error = Boolean.TRUE.equals(c.error());
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          if (error) throw new AssertionError("a bug on purpose");
          if (!inResponse) throw new IllegalStateException("broken on purpose");
          return FilterResult.CONTINUE;
        }

        @Override
        public FilterResult onResponse(Exchange x) {
          if (inResponse) throw new IllegalStateException("broken on purpose");
          return FilterResult.CONTINUE;
        }
      };
    }
  }

  /**
   * {@code test-consumers}: refers to Consumers by name, and counts requests in an object shared
   * across configurations (reported in {@code X-Count}).
   */
  public record ConsumersConfig(List<String> consumers) {
    public ConsumersConfig {
      consumers = consumers == null ? List.of() : List.copyOf(consumers);
    }
  }

  public static final class Consumers implements FilterFactory<ConsumersConfig> {
    @Override
    public String kind() {
      return "test-consumers";
    }

    @Override
    public Class<ConsumersConfig> configType() {
      return ConsumersConfig.class;
    }

    @Override
    public List<Reference> references(ConsumersConfig c) {
      List<Reference> refs = new ArrayList<>();
      for (int i = 0; i < c.consumers().size(); i++) {
        refs.add(new Reference("consumers[" + i + "]", new ObjectRef(Kind.CONSUMER, c.consumers().get(i))));
      }
      return refs;
    }

    @Override
    public Filter create(ConsumersConfig c, FilterEnvironment env) {
      java.util.concurrent.atomic.AtomicLong count = env.shared("count", java.util.concurrent.atomic.AtomicLong::new);
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          x.request().headers().set("X-Count", Long.toString(count.incrementAndGet()));
          return FilterResult.CONTINUE;
        }
      };
    }
  }

  /**
   * {@code test-response-body}: buffers the response body (up to {@code limit}), reports its length
   * in {@code X-Response-Body-Length}, with {@code upper: true} replaces it with its upper case, and
   * with {@code status} sets that status ({@code Response.setStatus}).
   */
  public record ResponseBodyConfig(ByteSize limit, @Nullable Boolean upper, @Nullable Integer status) {}

  public static final class ResponseBodyReader implements FilterFactory<ResponseBodyConfig> {
    @Override
    public String kind() {
      return "test-response-body";
    }

    @Override
    public Class<ResponseBodyConfig> configType() {
      return ResponseBodyConfig.class;
    }

    @Override
    public void validate(ResponseBodyConfig c, Problems problems) {
      if (c.limit() == null) problems.add("limit", "missing");
    }

    @Override
    public Filter create(ResponseBodyConfig c, FilterEnvironment env) {
      boolean upper = Boolean.TRUE.equals(c.upper());
      return new Filter() {
        @Override
        public long bufferResponseBody() {
          return c.limit().bytes();
        }

        @Override
        public void onResponseBody(Exchange x) {
          Body b = x.response().body();
          x.response().headers().set("X-Response-Body-Length", Integer.toString(b.length()));
          if (upper) x.response().setBody(b.toString(StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8));
          if (c.status() != null) x.response().setStatus(c.status());
        }
      };
    }
  }
}
