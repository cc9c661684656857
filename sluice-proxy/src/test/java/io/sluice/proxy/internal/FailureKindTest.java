package io.sluice.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.upstream.RetryPolicy;
import java.util.Arrays;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The contract of {@link FailureKind}: what each kind tells the client, the breakers and the retry policy. */
class FailureKindTest {
  @Test
  void everyKindHasADistinctReason() {
    assertThat(Arrays.stream(FailureKind.values()).map(FailureKind::reason)).doesNotHaveDuplicates();
  }

  @Test
  void reasonsAndStatusesAreThoseClientsAndDashboardsKnow() {
    assertThat(Arrays.stream(FailureKind.values()).map(k -> k.reason() + " " + k.status())).containsExactly(
        "upstream_connect_failure 502",
        "upstream_connect_timeout 504",
        "upstream_tls_handshake 502",
        "upstream_cert_invalid 502",
        "upstream_reset 502",
        "upstream_response_timeout 504",
        "upstream_protocol_error 502",
        "upstream_request_timeout 504",
        "circuit_open 503",
        "no_healthy_upstream 503",
        "upstream_overflow 503",
        "request_timeout 408");
  }

  @Test
  void tlsFailuresAreTheUpstreamsFaultAndRetriedAsConnectFailures() {
    for (FailureKind k : EnumSet.of(FailureKind.TLS_HANDSHAKE, FailureKind.CERT_INVALID)) {
      assertThat(k.upstreamFault()).as(k.reason()).isTrue();
      assertThat(k.retryOn()).as(k.reason()).isEqualTo(RetryPolicy.RetryOn.CONNECT_FAILURE);
      assertThat(k.nothingSent()).as(k.reason()).isTrue();
    }
  }

  @Test
  void onlyWhatAnAttemptAtTheUpstreamRanIntoIsHeldAgainstIt() {
    assertThat(EnumSet.allOf(FailureKind.class).stream().filter(k -> !k.upstreamFault())).containsExactlyInAnyOrder(
        FailureKind.CIRCUIT_OPEN, FailureKind.NO_HEALTHY_UPSTREAM, FailureKind.OVERFLOW, FailureKind.CLIENT_BODY_TIMEOUT);
  }

  @Test
  void eachRetryConditionCoversItsKindsAndNoOthers() {
    assertThat(EnumSet.allOf(FailureKind.class).stream().filter(k -> k.retryOn() == RetryPolicy.RetryOn.CONNECT_FAILURE))
        .containsExactlyInAnyOrder(FailureKind.CONNECT_FAILURE, FailureKind.CONNECT_TIMEOUT, FailureKind.TLS_HANDSHAKE,
            FailureKind.CERT_INVALID);
    assertThat(EnumSet.allOf(FailureKind.class).stream().filter(k -> k.retryOn() == RetryPolicy.RetryOn.RESET))
        .containsExactly(FailureKind.RESET);
    assertThat(EnumSet.allOf(FailureKind.class).stream().filter(k -> k.retryOn() == RetryPolicy.RetryOn.TIMEOUT))
        .containsExactly(FailureKind.RESPONSE_TIMEOUT);
    // A failure after the request may have been acted on, or not the upstream's, is never retried.
    assertThat(EnumSet.allOf(FailureKind.class).stream().filter(k -> k.retryOn() == null)).containsExactlyInAnyOrder(
        FailureKind.PROTOCOL_ERROR, FailureKind.REQUEST_TIMEOUT, FailureKind.CIRCUIT_OPEN,
        FailureKind.NO_HEALTHY_UPSTREAM, FailureKind.OVERFLOW, FailureKind.CLIENT_BODY_TIMEOUT);
  }
}
