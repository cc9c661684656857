package io.sluice.server;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Steady load on one gateway port: {@code GET /} one after another (about 50 a second), counting what
 * answered 200 with the expected body and recording everything else as a failure.
 *
 * <p>Threading: one daemon thread of its own; the other methods from any thread.
 */
final class LoadLoop implements AutoCloseable {
  private final int port;
  private final String expectedBody;
  private final Thread thread;
  private final AtomicLong ok = new AtomicLong();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private volatile boolean paused;
  private volatile boolean sending;
  private volatile boolean stop;

  LoadLoop(int port, String expectedBody) {
    this.port = port;
    this.expectedBody = expectedBody;
    this.thread = Thread.ofPlatform().daemon().name("load-" + port).start(this::run);
  }

  private void run() {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5); // bounded whatever the test does
    HttpClient client = null;
    while (!stop && System.nanoTime() < deadline) {
      if (paused) {
        client = null; // the node restarts: no connection of the old process is reused
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        continue;
      }
      if (client == null) client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      sending = true;
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().equals(expectedBody)) {
          ok.incrementAndGet();
        } else {
          failures.add(Instant.now() + " " + r.statusCode() + " " + r.body());
        }
      } catch (IOException e) {
        failures.add(Instant.now() + " " + e);
      } catch (InterruptedException e) {
        return;
      } finally {
        sending = false;
      }
      // About 50 requests a second: steady load that leaves the two cores to etcd and the nodes.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  /** Requests answered as expected so far. */
  long ok() {
    return ok.get();
  }

  /** Each request that did not answer as expected: when, and the status and body or the exception. */
  List<String> failures() {
    return List.copyOf(failures);
  }

  /** Stops sending and waits for the request in flight. */
  void pause() {
    paused = true;
    await().atMost(Duration.ofSeconds(10)).until(() -> !sending);
  }

  void resume() {
    paused = false;
  }

  /** Waits until {@code more} requests beyond those answered now were answered. */
  void awaitMore(long more, Duration atMost) {
    long from = ok.get();
    await().atMost(atMost).until(() -> ok.get() >= from + more);
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    thread.join(10_000);
  }
}
