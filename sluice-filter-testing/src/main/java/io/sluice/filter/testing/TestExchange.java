package io.sluice.filter.testing;

import io.sluice.filter.Attribute;
import io.sluice.filter.FilterResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One exchange of a {@link FilterHarness}: drive it through its phases and read what the upstream
 * and the client would get.
 *
 * <ol>
 *   <li>{@link #runRequest()}: the request phase (waiting for an async result). Then either the
 *       filter (or the gateway: 413, 500, 504) {@linkplain #answered() answered}, and
 *       {@link #response()} is what the client gets and the exchange has ended; or the request goes
 *       upstream as {@link #upstreamRequest()}.
 *   <li>{@link #upstreamResponds}: the response phase over the upstream's response, then the body
 *       phase (for a filter that buffers bodies), then {@code onEnd}; returns the client's response.
 *       Or {@link #abort()}: the exchange ends without a response (the upstream failed, the client left).
 * </ol>
 *
 * <p>Not thread-safe: use it from the test's thread. Unlike the gateway, which clears an exchange
 * when it ends, the harness keeps its final state (attributes, failures) for assertions.
 */
public final class TestExchange {
  private final FilterHarness harness;
  private final TestRequest request;
  private final List<HarnessExchange.Preset<?>> presets = new ArrayList<>();
  private @Nullable HarnessExchange exchange;

  TestExchange(FilterHarness harness, TestRequest request) {
    this.harness = harness;
    this.request = request;
  }

  /** Sets an attribute before the filter runs, as an earlier filter of the chain would (an authenticated Consumer, say). */
  public <T> TestExchange attribute(Attribute<T> key, T value) {
    if (exchange != null) throw new IllegalStateException("attributes are preset before runRequest()");
    presets.add(new HarnessExchange.Preset<>(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value")));
    return this;
  }

  /**
   * Runs the request phase, waiting for an async result up to the harness's async timeout.
   *
   * @throws IllegalStateException when it was run already
   */
  public TestExchange runRequest() {
    if (exchange != null) throw new IllegalStateException("the request phase has run already");
    HarnessExchange x = harness.newExchange(request, List.copyOf(presets));
    exchange = x;
    onLoop(x::startRequest);
    return this;
  }

  /** True when the request did not go upstream: the filter answered, or the gateway did on its behalf. */
  public boolean answered() {
    return started().answered();
  }

  /**
   * The request phase's result: what the filter returned (after an async one completed), or null
   * when it ended otherwise (it threw, timed out, or the body was refused).
   */
  public @Nullable FilterResult result() {
    return started().result();
  }

  /**
   * The request as it would go upstream.
   *
   * @throws IllegalStateException when it did not go upstream ({@link #answered()})
   */
  public UpstreamRequest upstreamRequest() {
    UpstreamRequest r = started().upstreamRequest();
    if (r == null) throw new IllegalStateException("the request did not go upstream: " + describe());
    return r;
  }

  /**
   * The upstream answers: runs the response phase, the body phase and {@code onEnd}.
   *
   * @return the response as the client gets it
   * @throws IllegalStateException when the request did not go upstream or the upstream answered already
   */
  public ClientResponse upstreamResponds(TestResponse response) {
    HarnessExchange x = started();
    Objects.requireNonNull(response, "response");
    onLoop(() -> x.upstreamResponds(response));
    return response();
  }

  /**
   * The response as the client gets it.
   *
   * @throws IllegalStateException before there is one
   */
  public ClientResponse response() {
    ClientResponse r = started().clientResponse();
    if (r == null) throw new IllegalStateException("there is no response to the client yet: " + describe());
    return r;
  }

  /** Ends the exchange without a response, as when the upstream fails or the client goes away; runs {@code onEnd}. */
  public void abort() {
    HarnessExchange x = started();
    onLoop(x::abort);
  }

  /** Whether the exchange has ended ({@code onEnd} ran, for a filter whose request phase was entered). */
  public boolean ended() {
    return started().ended();
  }

  /** The value of an attribute as the filter left it, or null. */
  public <T> @Nullable T attribute(Attribute<T> key) {
    HarnessExchange x = started();
    return call(() -> x.attribute(key));
  }

  /**
   * What the filter threw (or its failed async result), in order: the gateway logs and counts
   * these ({@code sluice_unexpected_errors_total{where="filter"}}).
   */
  public List<Throwable> failures() {
    return started().failures();
  }

  /**
   * The pieces of the request body that came out of the filter's streaming hook
   * ({@link io.sluice.filter.Filter#onRequestChunk}), in order: what the upstream gets as chunks.
   *
   * @throws IllegalStateException when the request body was not streamed (no body, or the filter
   *     does not declare {@code streamRequestBody()})
   */
  public List<byte[]> requestBodyPieces() {
    return stream(started().requestStream(), "request").out();
  }

  /** The request's trailer fields as the upstream gets them, after the streaming filter's edits; throws like {@link #requestBodyPieces()}. */
  public List<HeaderField> requestTrailers() {
    return stream(started().requestStream(), "request").trailerFields();
  }

  /**
   * The pieces of the response body that came out of the filter's streaming hook
   * ({@link io.sluice.filter.Filter#onResponseChunk}), in order: what the client gets as chunks.
   *
   * @throws IllegalStateException when the response body was not streamed (no body, HEAD, 204, 304,
   *     a local response, or the filter does not declare {@code streamResponseBody()})
   */
  public List<byte[]> responseBodyPieces() {
    return stream(started().responseStream(), "response").out();
  }

  /** The response's trailer fields as the client gets them, after the streaming filter's edits; throws like {@link #responseBodyPieces()}. */
  public List<HeaderField> responseTrailers() {
    return stream(started().responseStream(), "response").trailerFields();
  }

  /**
   * True when the streaming filter failed after part of the response body had gone out: the client
   * got the head and {@link ClientResponse#body()} so far, then its connection closed.
   */
  public boolean responseCutShort() {
    return started().responseCutShort();
  }

  private static HarnessBodyStream stream(@Nullable HarnessBodyStream s, String what) {
    if (s == null) throw new IllegalStateException("the " + what + " body was not streamed through the filter");
    return s;
  }

  private String describe() {
    HarnessExchange x = exchange;
    return x == null ? "the request phase has not run" : "the exchange is " + x.state();
  }

  private HarnessExchange started() {
    HarnessExchange x = exchange;
    if (x == null) throw new IllegalStateException("run the request phase first: runRequest()");
    return x;
  }

  /** Runs {@code task} on the loop, then waits until the phase it started settles. */
  private void onLoop(Runnable task) {
    HarnessExchange x = started();
    call(() -> {
      task.run();
      return null;
    });
    CompletableFuture<Void> settled = call(x::settled);
    Duration limit = harness.asyncTimeout().plusSeconds(10);
    try {
      settled.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the exchange did not settle within " + limit + ": " + describe(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Calls {@code task} on the loop and returns its value; what it throws is thrown here. */
  private <T> T call(java.util.concurrent.Callable<T> task) {
    try {
      return harness.loop().submit(task).get(harness.asyncTimeout().plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) throw re;
      if (cause instanceof Error err) throw err;
      throw new IllegalStateException(cause);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the harness's loop is busy: a filter blocks it", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
