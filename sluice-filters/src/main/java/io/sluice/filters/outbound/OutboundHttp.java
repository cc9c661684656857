package io.sluice.filters.outbound;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP client the filters that call other services use ({@code jwt}'s JWKS, {@code mirror},
 * {@code aggregate}): one JDK {@link HttpClient} for the process, HTTP/1.1 only (no h2c upgrade
 * attempts against plain-HTTP upstreams), no redirects, its own keep-alive pool, its callbacks on
 * virtual threads. It never runs on an event loop: callers hop back to {@code exchange.executor()}
 * before touching an exchange.
 *
 * <p>Callers bound every call themselves ({@code HttpRequest.timeout} for the head plus
 * {@code orTimeout} for the whole exchange), since the client has no overall timeout.
 */
public final class OutboundHttp {
  /** Request fields the JDK client writes itself or refuses, and hop-by-hop fields that must not be copied. */
  private static final Set<String> NOT_COPIED = Set.of(
      "host", "connection", "content-length", "expect", "upgrade", "transfer-encoding", "te", "trailer",
      "keep-alive", "proxy-connection", "http2-settings");

  private static final ExecutorService EXECUTOR =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("sluice-outbound-", 0).factory());

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER)
      .executor(EXECUTOR)
      .build();

  private OutboundHttp() {}

  public static HttpClient client() {
    return CLIENT;
  }

  /**
   * Virtual threads to start calls from: {@code sendAsync} may resolve a host name on the calling
   * thread, which must never be an event loop.
   */
  public static Executor executor() {
    return EXECUTOR;
  }

  /** Whether a request header may be copied onto an outbound request (lower-case or not). */
  public static boolean copyable(String name) {
    return !NOT_COPIED.contains(name.toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * {@code http://address} + {@code pathAndQuery}, for an Upstream endpoint address ({@code host:port}).
   *
   * @throws IllegalArgumentException when the result is not a valid URI
   */
  public static URI uri(String address, String pathAndQuery) {
    return URI.create("http://" + address + pathAndQuery);
  }

  /** The request timeout to use: at least one millisecond (the client refuses zero). */
  public static Duration atLeastOneMilli(Duration d) {
    return d.isZero() || d.isNegative() ? Duration.ofMillis(1) : d;
  }

  /**
   * A body handler that keeps at most {@code maxBytes} of the body and fails with
   * {@link BodyTooLargeException} (cancelling the rest) when there is more.
   */
  public static HttpResponse.BodyHandler<byte[]> bytesUpTo(long maxBytes) {
    return info -> new Limited(maxBytes);
  }

  /** The body was larger than the limit the caller set. */
  public static final class BodyTooLargeException extends RuntimeException {
    public BodyTooLargeException(long limit) {
      super("response body larger than " + limit + " bytes", null, false, false);
    }
  }

  private static final class Limited implements HttpResponse.BodySubscriber<byte[]> {
    private final long max;
    private final List<ByteBuffer> kept = new ArrayList<>();
    private final java.util.concurrent.CompletableFuture<byte[]> result = new java.util.concurrent.CompletableFuture<>();
    private long size;
    private Flow.@Nullable Subscription subscription;

    Limited(long max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) return;
      for (ByteBuffer b : items) {
        size += b.remaining();
        if (size > max) {
          result.completeExceptionally(new BodyTooLargeException(max));
          // onSubscribe comes before any onNext
          Objects.requireNonNull(subscription).cancel();
          kept.clear();
          return;
        }
        kept.add(b);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      if (result.isDone()) return;
      byte[] all = new byte[(int) size];
      int at = 0;
      for (ByteBuffer b : kept) {
        int n = b.remaining();
        b.get(all, at, n);
        at += n;
      }
      result.complete(all);
    }
  }
}
