package io.sluice.proxy.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filter.LocalResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gateway's gRPC answers: which requests are gRPC calls, the status codes, grpc-message's encoding, grpc-timeout. */
class GrpcStatusTest {
  @Test
  void mapsTheGatewaysAnswersToGrpcCodesAsEnvoyDoesWithTimeoutsAsDeadlineExceeded() {
    assertThat(GrpcStatus.code(404, "no_route")).isEqualTo(12);
    assertThat(GrpcStatus.code(503, "no_healthy_upstream")).isEqualTo(14);
    assertThat(GrpcStatus.code(502, "upstream_connect_failure")).isEqualTo(14);
    assertThat(GrpcStatus.code(504, "upstream_connect_timeout")).isEqualTo(14);
    assertThat(GrpcStatus.code(504, "upstream_response_timeout")).isEqualTo(4);
    assertThat(GrpcStatus.code(504, "upstream_request_timeout")).isEqualTo(4);
    assertThat(GrpcStatus.code(401, "unauthorized")).isEqualTo(16);
    assertThat(GrpcStatus.code(403, "forbidden")).isEqualTo(7);
    assertThat(GrpcStatus.code(429, "rate_limited")).isEqualTo(8);
    assertThat(GrpcStatus.code(400, "bad_request")).isEqualTo(13);
    assertThat(GrpcStatus.code(418, null)).isEqualTo(2);
  }

  @Test
  void writesATrailersOnlyAnswerKeepingAFiltersOwnHeaders() {
    LocalResponse refused = LocalResponse.builder(401).header("WWW-Authenticate", "Bearer").header("Content-Type", "text/plain")
        .body("text/plain", "nope").build();
    LocalResponse r = GrpcStatus.trailersOnly(401, "unauthorized", "100% wrong – key", refused);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEmpty();
    assertThat(r.header("www-authenticate")).isEqualTo("Bearer");
    assertThat(r.header("content-type")).isEqualTo("application/grpc");
    assertThat(r.header("grpc-status")).isEqualTo("16");
    assertThat(r.header("grpc-message")).isEqualTo("100%25 wrong %E2%80%93 key");
    assertThat(r.header("x-sluice-reason")).isEqualTo("unauthorized");
  }

  @Test
  void readsGrpcTimeoutInEachUnitAndIgnoresAMalformedOne() {
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "2H"))).isEqualTo(TimeUnit.HOURS.toNanos(2));
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "3M"))).isEqualTo(TimeUnit.MINUTES.toNanos(3));
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "5S"))).isEqualTo(TimeUnit.SECONDS.toNanos(5));
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "250m"))).isEqualTo(TimeUnit.MILLISECONDS.toNanos(250));
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "7u"))).isEqualTo(7_000);
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "9n"))).isEqualTo(9);
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "123456789S"))).isEqualTo(-1);
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "1x"))).isEqualTo(-1);
    assertThat(GrpcStatus.timeoutNanos(view("grpc-timeout", "S"))).isEqualTo(-1);
    assertThat(GrpcStatus.timeoutNanos(view("x", "1S"))).isEqualTo(-1);
  }

  @Test
  void tellsGrpcCallsFromGrpcWebAndOtherContentTypes() {
    assertThat(GrpcStatus.isGrpc(view("content-type", "application/grpc"))).isTrue();
    assertThat(GrpcStatus.isGrpc(view("content-type", "application/grpc+proto"))).isTrue();
    assertThat(GrpcStatus.isGrpc(view("content-type", "Application/GRPC;charset=utf-8"))).isTrue();
    assertThat(GrpcStatus.isGrpc(view("content-type", "application/grpc-web"))).isFalse();
    assertThat(GrpcStatus.isGrpc(view("content-type", "application/json"))).isFalse();
    assertThat(GrpcStatus.isGrpc(view("accept", "application/grpc"))).isFalse();
  }

  private static io.sluice.proxy.route.RequestView view(String name, String value) {
    return new io.sluice.proxy.route.RequestView() {
      @Override
      public String method() {
        return "POST";
      }

      @Override
      public String host() {
        return "h";
      }

      @Override
      public String path() {
        return "/s/M";
      }

      @Override
      public @org.jspecify.annotations.Nullable String query() {
        return null;
      }

      @Override
      public @org.jspecify.annotations.Nullable String header(String lowerCaseName) {
        return lowerCaseName.equals(name) ? value : null;
      }

      @Override
      public String clientIp() {
        return "127.0.0.1";
      }
    };
  }
}
