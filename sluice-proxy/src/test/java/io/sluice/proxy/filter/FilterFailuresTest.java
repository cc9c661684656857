package io.sluice.proxy.filter;

import io.sluice.filter.FilterResult;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Filters that fail or never answer, through the real proxy: a thrown exception is counted and
 * logged without flooding the log; an async result past the listener's {@code timeouts.filter} is
 * a 504 and is ignored when it comes.
 */
class FilterFailuresTest {
  private final Logger unexpectedLog = (Logger) LoggerFactory.getLogger("io.sluice.proxy.internal.UnexpectedErrors");
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @BeforeEach
  void captureLog() {
    TestFilters.Pending.WAITING.clear();
    logged.start();
    unexpectedLog.addAppender(logged);
  }

  @AfterEach
  void releaseLog() {
    unexpectedLog.detachAppender(logged);
    TestFilters.Pending.WAITING.clear();
  }

  private static TestUpstream upstream() throws Exception {
    return TestUpstream.start("up", (req, ex) -> ex.respond(200, Map.of("Content-Type", "text/plain"), "ok"));
  }

  /** A listener "main" with a filter timeout of 500ms, an upstream "backend" and route "r" with {@code filters}. */
  private static GatewayFixture gateway(String address, String filters) throws Exception {
    return GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
          timeouts: {filter: 500ms}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: "%s"}]
          timeouts: {connect: 2s, response: 5s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec:
          match: {path: {prefix: /}}
          upstream: backend
          filters:
        %s
        """.formatted(0, address, filters.indent(4).stripTrailing()));
  }

  private static String unexpectedErrors(GatewayFixture gw, String where) throws Exception {
    StringBuilder out = new StringBuilder();
    gw.gateway().metrics().writePrometheus(out);
    String prefix = "sluice_unexpected_errors_total{where=\"" + where + "\"} ";
    return out.toString().lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()))
        .findFirst().orElse("(absent)");
  }

  @Test
  void aThrowingFilterIsCountedAndLoggedOnceWithinTheLogInterval() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), "- {kind: test-fail, name: broken}");
        RawConnection c = RawConnection.open(gw.port())) {
      for (int i = 0; i < 2; i++) {
        c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.header("x-sluice-reason")).isEqualTo("filter_error");
        assertThat(r.body()).isEqualTo("{\"status\":500,\"reason\":\"filter_error\",\"message\":\"filter Route/r spec.filters[0] (broken) failed\"}\n");
      }
      // The connection stayed usable: both answers came on it.
      assertThat(unexpectedErrors(gw, "filter")).isEqualTo("2");
      assertThat(unexpectedErrors(gw, "downstream")).isEqualTo("0");
      assertThat(unexpectedErrors(gw, "upstream")).isEqualTo("0");
      List<ILoggingEvent> lines = logged.list;
      assertThat(lines).hasSize(1);
      assertThat(lines.get(0).getLevel()).isEqualTo(Level.WARN);
      assertThat(lines.get(0).getFormattedMessage())
          .isEqualTo("unexpected java.lang.IllegalStateException in filter Route/r spec.filters[0] (broken)");
      assertThat(lines.get(0).getThrowableProxy().getMessage()).isEqualTo("broken on purpose");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aPendingRequestPhaseAnswers504FilterTimeoutAndIgnoresItsLateResult() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), "- {kind: test-pending, name: slow}");
        RawConnection c = RawConnection.open(gw.port())) {
      long start = System.nanoTime();
      c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-sluice-reason")).isEqualTo("filter_timeout");
      assertThat(r.body()).isEqualTo("{\"status\":504,\"reason\":\"filter_timeout\",\"message\":\"filter Route/r spec.filters[0] (slow) did not complete within 500ms\"}\n");
      assertThat(tookMillis).isBetween(490L, 5_000L);
      assertThat(up.received()).isEmpty();
      // The result arrives late: nothing happens to the exchange that ended, nor to the next one.
      CompletableFuture<FilterResult> late = TestFilters.Pending.WAITING.poll(5, TimeUnit.SECONDS);
      late.complete(FilterResult.CONTINUE);
      c.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
      CompletableFuture<FilterResult> second = TestFilters.Pending.WAITING.poll(5, TimeUnit.SECONDS);
      second.complete(FilterResult.CONTINUE);
      RawConnection.Response next = c.readResponse();
      assertThat(next.status()).isEqualTo(200);
      assertThat(next.body()).isEqualTo("ok");
      assertThat(up.take().target()).isEqualTo("/y");
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void aPendingResponsePhaseAnswers504FilterTimeoutInPlaceOfTheResponse() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), "- {kind: test-pending, name: slow, config: {response: true}}");
        RawConnection c = RawConnection.open(gw.port())) {
      c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-sluice-reason")).isEqualTo("filter_timeout");
      assertThat(r.body()).isEqualTo("{\"status\":504,\"reason\":\"filter_timeout\",\"message\":\"filter Route/r spec.filters[0] (slow) did not complete within 500ms\"}\n");
      assertThat(up.take().target()).isEqualTo("/x");
      TestFilters.Pending.WAITING.poll(5, TimeUnit.SECONDS).complete(FilterResult.CONTINUE);
      // The upstream's response was dropped with its connection; the client's connection goes on.
      c.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
      TestFilters.Pending.WAITING.poll(5, TimeUnit.SECONDS).complete(FilterResult.CONTINUE);
      RawConnection.Response next = c.readResponse();
      assertThat(next.status()).isEqualTo(200);
      assertThat(next.body()).isEqualTo("ok");
    }
  }

  @Test
  void anErrorEscapingTheFilterRuntimeClosesTheConnectionAndIsCountedAsDownstream() throws Exception {
    try (TestUpstream up = upstream();
        GatewayFixture gw = gateway(up.address(), "- {kind: test-fail, name: buggy, config: {error: true}}")) {
      for (int i = 0; i < 2; i++) {
        try (RawConnection c = RawConnection.open(gw.port())) {
          c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
          // Nothing can be trusted on the connection after such a bug: it is closed, unanswered.
          assertThat(c.input().readAllBytes()).isEmpty();
        }
      }
      assertThat(unexpectedErrors(gw, "downstream")).isEqualTo("2");
      assertThat(unexpectedErrors(gw, "filter")).isEqualTo("0");
      List<ILoggingEvent> lines = logged.list;
      assertThat(lines).hasSize(1);
      assertThat(lines.get(0).getLevel()).isEqualTo(Level.WARN);
      assertThat(lines.get(0).getFormattedMessage()).isEqualTo("unexpected java.lang.AssertionError in downstream");
      assertThat(lines.get(0).getThrowableProxy().getMessage()).isEqualTo("a bug on purpose");
      // The gateway goes on serving.
      assertThat(up.received()).isEmpty();
    }
  }
}
