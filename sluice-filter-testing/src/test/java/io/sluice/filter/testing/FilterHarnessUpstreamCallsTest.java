package io.sluice.filter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.LocalResponse;
import io.sluice.filter.UpstreamCall;
import io.sluice.filter.UpstreamCallException;
import io.sluice.filter.UpstreamReply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The harness's in-memory Upstreams for filters that call out ({@code Exchange.upstreams()}). */
class FilterHarnessUpstreamCallsTest {
  /** Config of the {@code who} filter: the Upstream that says who a token belongs to. */
  public record WhoConfig(String upstream) {}

  /**
   * {@code who}: asks {@code upstream} {@code GET /who} with the request's Authorization; a 200
   * sets {@code X-User} to the reply's body and goes on, anything else answers 403, a failed call
   * answers the failure's status.
   */
  static final class Who implements FilterFactory<WhoConfig> {
    @Override
    public String kind() {
      return "who";
    }

    @Override
    public Class<WhoConfig> configType() {
      return WhoConfig.class;
    }

    @Override
    public List<Reference> references(WhoConfig c) {
      return List.of(new Reference("upstream", new ObjectRef(Kind.UPSTREAM, c.upstream())));
    }

    @Override
    public Filter create(WhoConfig c, FilterEnvironment env) {
      return new Filter() {
        @Override
        public FilterResult onRequest(Exchange x) {
          String token = x.request().headers().get("Authorization");
          UpstreamCall call = UpstreamCall.to(c.upstream()).path("/who").header("Authorization", token == null ? "" : token).build();
          return FilterResult.async(x.upstreams().call(call).handle((reply, error) -> {
            if (error != null) {
              UpstreamCallException e = (UpstreamCallException) (error instanceof CompletionException ? error.getCause() : error);
              return FilterResult.respond(LocalResponse.error(e.failure().status(), "auth_unavailable", e.getMessage()));
            }
            if (reply.status() != 200) return FilterResult.respond(LocalResponse.error(403, "forbidden", "unknown token"));
            x.request().headers().set("X-User", reply.bodyText(StandardCharsets.UTF_8));
            return FilterResult.CONTINUE;
          }));
        }
      };
    }
  }

  private static UpstreamReply reply(int status, String body) {
    return new UpstreamReply(status, List.of(), body.getBytes(StandardCharsets.UTF_8), List.of());
  }

  @Test
  void fakeUpstreamAnswersTheFiltersCallOnTheHarnessLoop() {
    try (FilterHarness h = FilterHarness.builder(new Who()).config("upstream: users")
        .upstream("users", call -> call.headers().contains(new UpstreamCall.Header("Authorization", "t-1"))
            ? reply(200, "ada") : reply(404, ""))
        .build()) {
      TestExchange ok = h.run(TestRequest.builder("GET", "/orders").header("Authorization", "t-1").build());
      assertThat(ok.answered()).isFalse();
      assertThat(ok.upstreamRequest().header("X-User")).isEqualTo("ada");
      TestExchange refused = h.run(TestRequest.builder("GET", "/orders").header("Authorization", "t-2").build());
      assertThat(refused.response().status()).isEqualTo(403);
      assertThat(refused.response().bodyText()).isEqualTo("{\"status\":403,\"reason\":\"forbidden\",\"message\":\"unknown token\"}\n");
      assertThat(h.upstreamCalls()).extracting(UpstreamCall::upstream, UpstreamCall::method, UpstreamCall::path)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("users", "GET", "/who"),
              org.assertj.core.groups.Tuple.tuple("users", "GET", "/who"));
    }
  }

  @Test
  void fakeUpstreamThatThrowsAFailureFailsTheCall() {
    try (FilterHarness h = FilterHarness.builder(new Who()).config("upstream: users")
        .upstream("users", call -> {
          throw new UpstreamCallException(UpstreamCallException.Failure.TIMEOUT, "no response within 1s");
        })
        .build()) {
      ClientResponse r = h.run(TestRequest.builder("GET", "/").build()).response();
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("X-Sluice-Reason")).isEqualTo("auth_unavailable");
      assertThat(r.bodyText()).isEqualTo("{\"status\":504,\"reason\":\"auth_unavailable\",\"message\":\"no response within 1s\"}\n");
    }
  }

  @Test
  void callToAnUpstreamTheHarnessDoesNotHaveFailsAsUnknown() {
    try (FilterHarness h = FilterHarness.builder(new Who()).config("upstream: users").build()) {
      ClientResponse r = h.run(TestRequest.builder("GET", "/").build()).response();
      assertThat(r.status()).isEqualTo(500);
      assertThat(r.bodyText()).isEqualTo("{\"status\":500,\"reason\":\"auth_unavailable\",\"message\":\"no Upstream named users (the harness has [])\"}\n");
    }
  }

  @Test
  void fakeReplyLongerThanTheCallsLimitFailsTheCall() {
    try (FilterHarness h = FilterHarness.builder(new Who()).config("upstream: users")
        .upstream("users", call -> reply(200, "x".repeat((int) UpstreamCall.DEFAULT_MAX_RESPONSE_BODY + 1)))
        .build()) {
      ClientResponse r = h.run(TestRequest.builder("GET", "/").build()).response();
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("X-Sluice-Reason")).isEqualTo("auth_unavailable");
    }
  }
}
