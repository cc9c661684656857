package io.sluice.api.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import io.sluice.api.codec.ObjectCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoundsTest {
  private static List<ConfigError> validate(String kind, String spec) throws ConfigException {
    return Validator.validate(ObjectCodec.readYaml("test.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: public}
        spec: {address: 127.0.0.1:8080}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: orders}
        spec: {endpoints: [{address: 10.0.0.1:8080}]}
        ---
        apiVersion: sluice.io/v1
        kind: %s
        metadata: {name: x}
        spec:
        %s""".formatted(kind, spec.indent(2))));
  }

  @Test
  void refusesAListenerIdleTimeoutLongerThanAYear() throws ConfigException {
    assertThat(validate("Listener", "address: 127.0.0.1:8081\ntimeouts: {idle: 106752d}"))
        .containsExactly(new ConfigError("test.yaml:16:14", "Listener/x", "spec.timeouts.idle",
            "106752d is longer than the maximum 365d"));
  }

  @Test
  void refusesACredentialThatIsTheViewersPlaceholder() throws ConfigException {
    assertThat(validate("Consumer", "keyAuth: {key: <redacted>}\nbasicAuth: {username: alice, password: <redacted>}"))
        .containsExactly(
            new ConfigError("test.yaml:15:13", "Consumer/x", "spec.keyAuth.key",
                "is <redacted>, the placeholder a viewer reads in place of a credential; give the credential itself"),
            new ConfigError("test.yaml:16:32", "Consumer/x", "spec.basicAuth.password",
                "is <redacted>, the placeholder a viewer reads in place of a credential; give the credential itself"));
  }

  @Test
  void refusesAnUpstreamResponseTimeoutLongerThanAYear() throws ConfigException {
    assertThat(validate("Upstream", "endpoints: [{address: 10.0.0.2:80}]\ntimeouts: {response: 106752d}"))
        .containsExactly(new ConfigError("test.yaml:16:14", "Upstream/x", "spec.timeouts.response",
            "106752d is longer than the maximum 365d"));
  }

  @Test
  void acceptsExactlyAYearAndRefusesAMillisecondMore() throws ConfigException {
    assertThat(validate("Listener", "address: 127.0.0.1:8081\ntimeouts: {idle: 365d}")).isEmpty();
    assertThat(validate("Listener", "address: 127.0.0.1:8081\ntimeouts: {idle: 365d1ms}"))
        .extracting(ConfigError::toString)
        .containsExactly("test.yaml:16:14: Listener/x: spec.timeouts.idle: 31536000001ms is longer than the maximum 365d");
  }

  @Test
  void boundsDurationsNestedInListsAndOptionalRecords() throws ConfigException {
    assertThat(validate("Route", """
        upstream: orders
        timeouts: {request: 400d}
        retries: {backoff: {base: 1s, max: 1m}}"""))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.timeouts.request", "400d is longer than the maximum 365d"));
    assertThat(validate("Upstream", """
        endpoints: [{address: 10.0.0.2:80}]
        circuitBreaker: {endpoint: {waitInOpen: 1000d}}"""))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.circuitBreaker.endpoint.waitInOpen",
            "1000d is longer than the maximum 365d"));
  }

  @Test
  void refusesASizeLargerThanATebibyte() throws ConfigException {
    assertThat(validate("Listener", "address: 127.0.0.1:8081\nlimits: {maxBodySize: 2000GiB}"))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.limits.maxBodySize", "2000GiB is larger than the maximum 1024GiB"));
  }

  @Test
  void refusesAnOutOfBoundsRouteWhenOnlyRoutesAreValidated() throws ConfigException {
    var objects = ObjectCodec.readYaml("r.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: r}
        spec: {directResponse: {status: 200}, tracing: {samplingRatio: 1}}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: s}
        spec: {upstream: orders, timeouts: {upstreamResponse: 106752d}}
        """);
    var context = new Validator.RouteContext() {
      @Override
      public boolean exists(io.sluice.api.Kind kind, String name) {
        return true;
      }

      @Override
      public io.sluice.api.ConfigObject<io.sluice.api.pipeline.PipelineSpec> pipeline(String name) {
        return null;
      }

      @Override
      public List<io.sluice.api.ConfigObject<io.sluice.api.pipeline.GlobalFilterSpec>> globalFilters() {
        return List.of();
      }
    };
    assertThat(Validator.validateRoutes(objects, context, null)).extracting(ConfigError::toString)
        .containsExactly("r.yaml:9:37: Route/s: spec.timeouts.upstreamResponse: 106752d is longer than the maximum 365d");
  }

  @Test
  void refusesADurationBelowAMillisecondThatTheRuntimeWouldRoundToZero() throws ConfigException {
    assertThat(validate("Upstream", """
        endpoints: [{address: 10.0.0.2:80}]
        circuitBreaker: {endpoint: {waitInOpen: PT0.000001S}}"""))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.circuitBreaker.endpoint.waitInOpen",
            "PT0.000001S is shorter than the minimum 1ms; durations have millisecond precision"));
  }

  /** Found by AcceptedConfigCompilesTest: resilience4j refuses a time window of one second. */
  @Test
  void refusesACircuitBreakerTimeWindowOfOneSecond() throws ConfigException {
    assertThat(validate("Upstream", """
        endpoints: [{address: 10.0.0.2:80}]
        circuitBreaker: {upstream: {slidingWindow: {type: time, size: 1}}}"""))
        .extracting(ConfigError::field, ConfigError::message)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.circuitBreaker.upstream.slidingWindow.size",
            "expected 2 to 100000, got 1"));
    assertThat(validate("Upstream", """
        endpoints: [{address: 10.0.0.2:80}]
        circuitBreaker: {upstream: {slidingWindow: {type: count, size: 1}}}""")).isEmpty();
  }
}
