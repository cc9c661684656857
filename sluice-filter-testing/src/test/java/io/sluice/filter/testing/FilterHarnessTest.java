package io.sluice.filter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Attribute;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class FilterHarnessTest {
  private static final Attribute<String> TENANT = Attribute.of("tenant");

  /** A filter made of lambdas, recording the phases it saw. */
  private static final class Probe implements Filter {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    Function<Exchange, FilterResult> request = x -> FilterResult.CONTINUE;
    Function<Exchange, FilterResult> response = x -> FilterResult.CONTINUE;
    Consumer<Exchange> responseBody = x -> {};
    Consumer<Exchange> end = x -> {};
    long bufferRequest;
    long bufferResponse;

    @Override
    public FilterResult onRequest(Exchange exchange) {
      calls.add("request");
      threads.add(Thread.currentThread().getName());
      return request.apply(exchange);
    }

    @Override
    public FilterResult onResponse(Exchange exchange) {
      calls.add("response " + exchange.response().status());
      return response.apply(exchange);
    }

    @Override
    public void onResponseBody(Exchange exchange) {
      calls.add("body");
      responseBody.accept(exchange);
    }

    @Override
    public void onEnd(Exchange exchange) {
      calls.add("end");
      end.accept(exchange);
    }

    @Override
    public long bufferRequestBody() {
      return bufferRequest;
    }

    @Override
    public long bufferResponseBody() {
      return bufferResponse;
    }
  }

  @Test
  void sendsTheRequestUpstreamWithTheFiltersEditsAndWithoutHopByHopFields() {
    Probe p = new Probe();
    p.request = x -> {
      x.request().setMethod("PUT");
      x.request().setPath("/v2/orders");
      x.request().setQuery("page=2");
      x.request().setAuthority("orders.internal:8080");
      x.request().headers().set("X-Tenant", "acme");
      x.request().headers().add("X-Trace", "1");
      x.request().headers().remove("Cookie");
      return FilterResult.CONTINUE;
    };
    try (FilterHarness h = FilterHarness.of(p)) {
      TestExchange x = h.run(TestRequest.builder("GET", "/orders?page=1").authority("api.example.com")
          .header("Cookie", "a=1").header("X-Tenant", "old").header("Connection", "close, x-private")
          .header("X-Private", "secret").header("Accept", "*/*").build());
      assertThat(x.answered()).isFalse();
      UpstreamRequest up = x.upstreamRequest();
      assertThat(up.method()).isEqualTo("PUT");
      assertThat(up.target()).isEqualTo("/v2/orders?page=2");
      assertThat(up.authority()).isEqualTo("orders.internal:8080");
      assertThat(up.headers()).containsExactly(
          new HeaderField("Host", "orders.internal:8080"),
          new HeaderField("Accept", "*/*"),
          new HeaderField("X-Tenant", "acme"),
          new HeaderField("X-Trace", "1"));
      assertThat(up.body()).isNull();
      assertThat(p.threads).containsExactly("filter-harness-loop");
    }
  }

  @Test
  void refusesEditsOfTheFieldsTheGatewayWrites() {
    List<String> errors = new ArrayList<>();
    Probe p = new Probe();
    p.request = x -> {
      for (String name : List.of("Host", "Content-Length", "Transfer-Encoding", "Connection", "Expect", "bad name")) {
        try {
          x.request().headers().set(name, "v");
        } catch (IllegalArgumentException e) {
          errors.add(e.getMessage());
        }
      }
      return FilterResult.CONTINUE;
    };
    try (FilterHarness h = FilterHarness.of(p)) {
      h.run(TestRequest.get("/"));
    }
    assertThat(errors).containsExactly(
        "the Host header is set with Request.setAuthority, not as a header field",
        "header Content-Length frames the message and is written by the gateway; filters cannot set or remove it",
        "header Transfer-Encoding frames the message and is written by the gateway; filters cannot set or remove it",
        "header Connection is hop-by-hop and written by the gateway; filters cannot set or remove it",
        "header Expect is answered by the gateway; filters cannot set or remove it",
        "invalid header name 'bad name': expected a token such as x-request-id");
  }

  @Test
  void aFilterThatAnswersDoesNotSeeItsOwnResponseAndEndsOnce() {
    Probe p = new Probe();
    LocalResponse forbidden = LocalResponse.builder(403).header("X-Why", "geo").body("text/plain", "no\n").build();
    p.request = x -> FilterResult.respond("forbidden", forbidden);
    try (FilterHarness h = FilterHarness.of(p)) {
      TestExchange x = h.run(TestRequest.get("/"));
      assertThat(x.answered()).isTrue();
      assertThat(x.result().name()).isEqualTo("forbidden");
      assertThat(x.response()).isEqualTo(x.response());
      ClientResponse r = x.response();
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.local()).isTrue();
      assertThat(r.headers()).containsExactly(new HeaderField("X-Why", "geo"), new HeaderField("Content-Type", "text/plain"),
          new HeaderField("Content-Length", "3"));
      assertThat(r.bodyText()).isEqualTo("no\n");
      assertThat(p.calls).containsExactly("request", "end");
      assertThat(x.ended()).isTrue();
      assertThatThrownBy(x::upstreamRequest).isInstanceOf(IllegalStateException.class)
          .hasMessage("the request did not go upstream: the exchange is over");
    }
  }

  @Test
  void refusesRequestEditsOnceTheRequestWentUpstreamAndResponseEditsBefore() {
    List<String> errors = new ArrayList<>();
    Probe p = new Probe();
    p.request = x -> {
      try {
        x.response();
      } catch (IllegalStateException e) {
        errors.add(e.getMessage());
      }
      return FilterResult.CONTINUE;
    };
    p.response = x -> {
      try {
        x.request().setPath("/late");
      } catch (IllegalStateException e) {
        errors.add(e.getMessage());
      }
      return FilterResult.CONTINUE;
    };
    p.end = x -> {
      try {
        x.response().headers().set("X-Late", "1");
      } catch (IllegalStateException e) {
        errors.add(e.getMessage());
      }
    };
    try (FilterHarness h = FilterHarness.of(p)) {
      h.run(TestRequest.get("/")).upstreamResponds(TestResponse.of(200));
    }
    assertThat(errors).containsExactly(
        "there is no response in the request phase",
        "the request has been sent upstream; it can no longer be changed",
        "the response can only be changed in the response phase");
  }

  @Test
  void responsePhaseEditsTheUpstreamResponseAndSeesNoHopByHopField() {
    Probe p = new Probe();
    List<String> seen = new ArrayList<>();
    p.response = x -> {
      x.response().headers().forEach((n, v) -> seen.add(n + ": " + v));
      x.response().headers().remove("Server");
      x.response().headers().add("X-Served-By", "gw");
      return FilterResult.CONTINUE;
    };
    try (FilterHarness h = FilterHarness.of(p)) {
      ClientResponse r = h.run(TestRequest.get("/")).upstreamResponds(TestResponse.builder(201)
          .header("Server", "up/1").header("Keep-Alive", "timeout=5").body("text/plain", "made").build());
      assertThat(seen).containsExactly("Server: up/1", "Content-Type: text/plain");
      assertThat(r.status()).isEqualTo(201);
      assertThat(r.local()).isFalse();
      // the upstream's fields in their order, then the filters' additions
      assertThat(r.headers()).containsExactly(new HeaderField("Content-Type", "text/plain"), new HeaderField("Content-Length", "4"),
          new HeaderField("X-Served-By", "gw"));
      assertThat(r.bodyText()).isEqualTo("made");
      assertThat(p.calls).containsExactly("request", "response 201", "end");
    }
  }

  @Test
  void awaitsAnAsyncResultAndResumesOnTheLoop() {
    Probe p = new Probe();
    List<String> resumedOn = new CopyOnWriteArrayList<>();
    p.request = x -> FilterResult.async(CompletableFuture.supplyAsync(() -> {
      x.executor().execute(() -> {
        resumedOn.add(Thread.currentThread().getName());
        x.request().headers().set("X-Checked", "yes");
      });
      return FilterResult.CONTINUE;
    }, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS)));
    try (FilterHarness h = FilterHarness.of(p)) {
      TestExchange x = h.run(TestRequest.get("/"));
      assertThat(x.upstreamRequest().header("X-Checked")).isEqualTo("yes");
      assertThat(resumedOn).containsExactly("filter-harness-loop");
      assertThat(x.result()).isSameAs(FilterResult.CONTINUE);
    }
  }

  @Test
  void answers504FilterTimeoutWhenAnAsyncResultDoesNotComeInTime() throws Exception {
    Probe p = new Probe();
    p.request = x -> FilterResult.async(new CompletableFuture<>());
    try (FilterHarness h = FilterHarness.builder(factoryOf(p)).asyncTimeout(Duration.ofMillis(100)).build()) {
      TestExchange x = h.run(TestRequest.get("/"));
      ClientResponse r = x.response();
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("X-Sluice-Reason")).isEqualTo("filter_timeout");
      assertThat(r.bodyText()).isEqualTo("{\"status\":504,\"reason\":\"filter_timeout\",\"message\":"
          + "\"filter Route/test spec.filters[0] (probe) did not complete within 100ms\"}\n");
      assertThat(p.calls).containsExactly("request", "end");
    }
  }

  @Test
  void aFilterThatThrowsMakesTheAnswer500AndIsRecorded() {
    Probe p = new Probe();
    RuntimeException boom = new IllegalStateException("boom");
    p.request = x -> {
      throw boom;
    };
    try (FilterHarness h = FilterHarness.of(p)) {
      TestExchange x = h.run(TestRequest.get("/"));
      assertThat(x.response().status()).isEqualTo(500);
      assertThat(x.response().header("X-Sluice-Reason")).isEqualTo("filter_error");
      assertThat(x.failures()).containsExactly(boom);
      assertThat(x.result()).isNull();
      assertThat(p.calls).containsExactly("request", "end");
    }
  }

  @Test
  void buffersTheRequestBodyForAFilterThatDeclaresItAndRefusesABiggerOneBeforeItRuns() {
    Probe p = new Probe();
    p.bufferRequest = 8;
    p.request = x -> {
      x.request().setBody(x.request().body().toString(StandardCharsets.UTF_8).toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
      return FilterResult.CONTINUE;
    };
    try (FilterHarness h = FilterHarness.of(p)) {
      UpstreamRequest up = h.run(TestRequest.builder("POST", "/").body("text/plain", "small").build()).upstreamRequest();
      assertThat(up.bodyText()).isEqualTo("SMALL");
      assertThat(up.header("Content-Length")).isEqualTo("5");

      p.calls.clear();
      TestExchange big = h.run(TestRequest.builder("POST", "/").body("text/plain", "much too big").build());
      assertThat(big.response().status()).isEqualTo(413);
      assertThat(big.response().header("X-Sluice-Reason")).isEqualTo("request_body_too_large");
      assertThat(p.calls).isEmpty();
    }
  }

  @Test
  void refusesABodyOverTheLimitAFilterSetWith413() {
    Probe p = new Probe();
    p.request = x -> {
      x.request().limitBodySize(4);
      return FilterResult.CONTINUE;
    };
    try (FilterHarness h = FilterHarness.of(p)) {
      TestExchange x = h.run(TestRequest.builder("POST", "/").body("text/plain", "12345").build());
      assertThat(x.answered()).isTrue();
      assertThat(x.response().bodyText()).isEqualTo(
          "{\"status\":413,\"reason\":\"request_body_too_large\",\"message\":\"request body larger than 4 bytes\"}\n");
      assertThat(p.calls).containsExactly("request", "end");
    }
  }

  @Test
  void bodyPhaseReplacesABufferedResponseBodyAndLeavesABiggerOneAlone() {
    Probe p = new Probe();
    p.bufferResponse = 10;
    p.responseBody = x -> x.response().setBody(x.response().body().toString(StandardCharsets.UTF_8).toUpperCase(Locale.ROOT)
        .getBytes(StandardCharsets.UTF_8));
    try (FilterHarness h = FilterHarness.of(p)) {
      ClientResponse small = h.run(TestRequest.get("/")).upstreamResponds(TestResponse.builder(200).body("text/plain", "hello").build());
      assertThat(small.bodyText()).isEqualTo("HELLO");
      assertThat(small.header("Content-Length")).isEqualTo("5");
      assertThat(p.calls).containsExactly("request", "response 200", "body", "end");

      p.calls.clear();
      ClientResponse big = h.run(TestRequest.get("/")).upstreamResponds(TestResponse.builder(200).body("text/plain", "hello world!").build());
      assertThat(big.bodyText()).isEqualTo("hello world!");
      assertThat(p.calls).containsExactly("request", "response 200", "end");
    }
  }

  @Test
  void presetAttributesAreSeenAndTheFiltersOnesReadBack() {
    Attribute<Integer> length = Attribute.of("length");
    Probe p = new Probe();
    p.request = x -> {
      x.setAttribute(length, x.attribute(TENANT).length());
      return FilterResult.named("counted");
    };
    try (FilterHarness h = FilterHarness.of(p)) {
      TestExchange x = h.exchange(TestRequest.get("/")).attribute(TENANT, "acme").runRequest();
      assertThat(x.attribute(length)).isEqualTo(4);
      // a named result without a jump goes on to the upstream
      assertThat(x.result().name()).isEqualTo("counted");
      assertThat(x.answered()).isFalse();
      x.abort();
      assertThat(x.ended()).isTrue();
      assertThat(p.calls).containsExactly("request", "end");
    }
  }

  record Config(Duration timeout, List<String> names, @Nullable String header) {}

  @Test
  void bindsTheConfigAsTheGatewayDoesAndNamesTheFieldOfABadOne() {
    List<Config> created = new ArrayList<>();
    FilterFactory<Config> factory = new FilterFactory<>() {
      @Override
      public String kind() {
        return "probe";
      }

      @Override
      public Class<Config> configType() {
        return Config.class;
      }

      @Override
      public void validate(Config c, Problems problems) {
        if (c.names().isEmpty()) problems.add("names", "must not be empty");
      }

      @Override
      public Filter create(Config c, FilterEnvironment env) {
        created.add(c);
        assertThat(env.owner()).isEqualTo("Route/orders");
        assertThat(env.field()).isEqualTo("spec.filters[0]");
        return new Probe();
      }
    };
    try (FilterHarness h = FilterHarness.builder(factory).route("orders").config("timeout: 5s\nnames: [a, b]").build()) {
      assertThat(created).containsExactly(new Config(Duration.ofSeconds(5), List.of("a", "b"), null));
    }
    assertThatThrownBy(() -> FilterHarness.builder(factory).config("timeout: 5s\nnames: []\nbogus: 1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Route/test spec.filters[0] (probe).config.bogus: ");
    assertThatThrownBy(() -> FilterHarness.builder(factory).config("timeout: 5s\nnames: []").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Route/test spec.filters[0] (probe).config.names: must not be empty");
    assertThatThrownBy(() -> FilterHarness.builder(factory).config(new Config(Duration.ofSeconds(1), List.of(), null)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Route/test spec.filters[0] (probe).config.names: must not be empty");
  }

  private static FilterFactory<Object> factoryOf(Filter filter) {
    return new FilterFactory<>() {
      @Override
      public String kind() {
        return "probe";
      }

      @Override
      public Class<Object> configType() {
        return Object.class;
      }

      @Override
      public Filter create(Object config, FilterEnvironment environment) {
        return filter;
      }
    };
  }
}
