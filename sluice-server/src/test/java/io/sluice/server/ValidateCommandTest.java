package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice validate DIR} as the operator runs it: a process, its output and its exit code. */
class ValidateCommandTest {

  @Test
  void theDemoConfigIsValidAndTheSummaryCountsItsObjects(@TempDir Path certs) throws Exception {
    Path demo = ServerProcess.repoRoot().resolve("examples/demo");
    // The demo's HTTPS certificate, as bin/sluice makes it on its first run.
    DemoCertificates.ensure(certs);

    ServerProcess.Result r = ServerProcess.run("validate", demo.toString(), "--cert-dir", certs.toString());

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(demo + ": valid (3 listeners, 4 routes, 1 upstream, 1 secret)");
    assertThat(r.stderr()).isEmpty();
  }

  @Test
  void aRouteThatWouldLoopThroughItsOwnListenerIsValidWithAWarning(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("gw.yaml"), """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec: {address: 127.0.0.1:8080}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: self}
        spec: {endpoints: [{address: "127.0.0.1:8080"}]}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: all}
        spec: {upstream: self}
        """);

    ServerProcess.Result r = ServerProcess.run("validate", dir.toString());

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(dir + ": valid (1 listener, 1 route, 1 upstream)");
    assertThat(r.stderr()).startsWith("warning: gw.yaml:").contains(": Route/all: spec.upstream: upstream self's endpoint"
        + " 127.0.0.1:8080 is listener main (127.0.0.1:8080), which serves this route");
  }

  @Test
  void theBenchConfigIsValidAndTheSummaryCountsItsObjects() throws Exception {
    Path bench = ServerProcess.repoRoot().resolve("examples/bench");

    ServerProcess.Result r = ServerProcess.run("validate", bench.toString());

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(bench + ": valid (1 listener, 1 route, 1 upstream)");
    assertThat(r.stderr()).isEmpty();
  }

  @Test
  void theTlsBenchConfigsAreValidWithTheBenchmarkCertificateInTheCertificateDirectory(@TempDir Path certs) throws Exception {
    // What ../shared/bench/tls holds: cert.pem and key.pem, for localhost and 127.0.0.1.
    DemoCertificates.ensure(certs);
    Files.move(certs.resolve(DemoCertificates.CERT_FILE), certs.resolve("cert.pem"));
    Files.move(certs.resolve(DemoCertificates.KEY_FILE), certs.resolve("key.pem"));

    for (String name : new String[] {"bench-tls", "bench-tls12"}) {
      Path bench = ServerProcess.repoRoot().resolve("examples/" + name);
      ServerProcess.Result r = ServerProcess.run("validate", bench.toString(), "--cert-dir", certs.toString());

      assertThat(r.exitCode()).as(r.stderr()).isZero();
      assertThat(r.stdoutLines()).containsExactly(bench + ": valid (1 listener, 1 route, 1 upstream, 1 secret)");
      assertThat(r.stderr()).isEmpty();
    }
  }

  @Test
  void theFilteredBenchConfigIsValidAndTheSummaryCountsItsConsumer() throws Exception {
    Path bench = ServerProcess.repoRoot().resolve("examples/bench-filters");

    ServerProcess.Result r = ServerProcess.run("validate", bench.toString());

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(bench + ": valid (1 listener, 1 route, 1 upstream, 1 consumer)");
    assertThat(r.stderr()).isEmpty();
  }

  @Test
  void theObservabilityBenchConfigIsValidWithItsAccessLogInTheLogDirectory(@TempDir Path logs) throws Exception {
    Path bench = ServerProcess.repoRoot().resolve("examples/bench-observability");

    ServerProcess.Result r = ServerProcess.run("validate", "--log-dir", logs.toString(), bench.toString());

    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdoutLines()).containsExactly(bench + ": valid (1 listener, 1 route, 1 upstream)");
    assertThat(r.stderr()).isEmpty();
  }

  @Test
  void anAccessLogOutsideTheLogDirectoryIsAnErrorNamingTheFieldAndTheExitCodeIsOne(@TempDir Path dir) throws Exception {
    Path logs = Files.createDirectories(dir.resolve("logs"));
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.writeString(config.resolve("listener.yaml"), """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: web}
        spec:
          address: 127.0.0.1:19030
          accessLog: {file: {path: /etc/cron.d/sluice}}
        """);

    ServerProcess.Result r = ServerProcess.run("validate", "--log-dir", logs.toString(), config.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stdoutLines()).isEmpty();
    assertThat(r.stderrLines()).containsExactly(
        "listener.yaml:6:22: Listener/web: spec.accessLog.file.path: /etc/cron.d/sluice is outside the log directory " + logs
            + " (--log-dir); expected a path relative to it, such as access.log",
        config + ": 1 error(s)");
  }

  @Test
  void aBadFilterConfigIsPrintedWithFileObjectAndFieldAndTheExitCodeIsOne(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("routes.yaml"), """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: orders}
        spec:
          directResponse: {status: 200}
          filters:
            - {kind: header, config: {request: {set: {X-Ok: yes}}}}
            - {kind: header, config: {response: {add: {Content-Length: "5"}}}}
            - {kind: header, config: {request: {sett: {}}}}
        """);

    ServerProcess.Result r = ServerProcess.run("validate", dir.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stdoutLines()).isEmpty();
    assertThat(r.stderrLines()).containsExactly(
        "routes.yaml:8:48: Route/orders: spec.filters[1].config.response.add.Content-Length: header Content-Length frames "
            + "the message and is written by the gateway; filters cannot set or remove it",
        "routes.yaml:9:41: Route/orders: spec.filters[2].config.request.sett: unknown field 'sett' (known fields: add, remove, set)",
        dir + ": 2 error(s)");
  }

  @Test
  void everyErrorOfEveryBrokenFileIsPrintedWithFileObjectAndFieldAndTheExitCodeIsOne(@TempDir Path dir)
      throws Exception {
    // Validation only: nothing binds it, so a fixed port cannot race (and port 0 would never clash).
    int port = 18080;
    Files.writeString(dir.resolve("a-upstreams.yaml"), """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: 127.0.0.1:19020}]
        """);
    Files.writeString(dir.resolve("b-upstreams.yaml"), """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: backend}
        spec:
          endpoints: [{address: 127.0.0.1:19022}]
        """);
    Files.writeString(dir.resolve("durations.yaml"), """
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: slow}
        spec:
          endpoints: [{address: 127.0.0.1:19021}]
          timeouts: {connect: 5 seconds}
        """);
    Files.writeString(dir.resolve("listeners.yaml"), """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: one}
        spec:
          address: 127.0.0.1:%1$d
        ---
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: two}
        spec:
          address: 127.0.0.1:%1$d
        """.formatted(port));
    Files.writeString(dir.resolve("types.yaml"), """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: typed}
        spec:
          address: 127.0.0.1:19011
          limits: {maxUriLength: lots}
        """);
    Files.writeString(dir.resolve("routes.yaml"), """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: bad-regex}
        spec:
          match:
            path: {regex: "(["}
          upstream: backend
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: dangling}
        spec:
          upstream: missing
        ---
        # Refers to an upstream that exists but is broken: that is the upstream's error, not this route's.
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: to-slow}
        spec:
          match:
            path: {prefix: /slow}
          upstream: slow
        """);
    Files.writeString(dir.resolve("unknown.yaml"), """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: typo}
        spec:
          address: 127.0.0.1:19001
          adress: 127.0.0.1:19002
        """);

    ServerProcess.Result r = ServerProcess.run("validate", dir.toString());

    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(1);
    assertThat(r.stdout()).isEmpty();
    List<String> lines = r.stderrLines();
    assertThat(lines).as(r.stderr()).hasSize(8);
    assertThat(lines.getLast()).isEqualTo(dir + ": 7 error(s)");
    List<String> errors = lines.subList(0, 7);
    // Each error names file:line, Kind/name and the field path, then what is wrong. The line is the
    // field's, or for checks across objects it may be the object's.
    assertThat(errors).as(r.stderr()).satisfiesExactlyInAnyOrder(
        // a duplicate name: the later definition is refused and the error names where the first one is
        e -> assertThat(e).matches("b-upstreams\\.yaml:3:12: Upstream/backend: metadata\\.name: "
            + "duplicate name: Upstream/backend is also defined in a-upstreams\\.yaml(:1|:3)?"),
        // a bad duration
        e -> assertThat(e).isEqualTo("durations.yaml:6: Upstream/slow: spec.timeouts.connect: "
            + "expected a duration such as 250ms, 5s or 1m, got '5 seconds'"),
        // a port clash
        e -> assertThat(e).matches("listeners\\.yaml:11:3: Listener/two: spec\\.address: port clash: "
            + "127\\.0\\.0\\.1:" + port + " overlaps Listener/one\\b.*127\\.0\\.0\\.1:" + port + "\\b.*"),
        // a wrong type
        e -> assertThat(e).isEqualTo("types.yaml:6: Listener/typed: spec.limits.maxUriLength: "
            + "expected an integer, got a string 'lots'"),
        // a bad regex
        e -> assertThat(e).matches("routes\\.yaml:6:12: Route/bad-regex: spec\\.match\\.path\\.regex: "
            + "invalid regular expression '\\(\\[': .+"),
        // a dangling reference
        e -> assertThat(e).matches("routes\\.yaml:13:3: Route/dangling: spec\\.upstream: "
            + "Upstream 'missing' does not exist"),
        // an unknown field
        e -> assertThat(e).startsWith("unknown.yaml:6: Listener/typo: spec.adress: unknown field 'adress'"));
  }

  @Test
  void aBrokenDocumentDoesNotHideTheErrorsOfTheOtherDocumentsInItsFile(@TempDir Path dir) throws Exception {
    // Validation only: nothing binds it, so a fixed port cannot race (and port 0 would never clash).
    int port = 18080;
    Files.writeString(dir.resolve("all.yaml"), """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: one}
        spec:
          address: 127.0.0.1:%1$d
        ---
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: two}
        spec:
          address: 127.0.0.1:%1$d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: slow}
        spec:
          endpoints: [{address: 127.0.0.1:19021}]
          timeouts: {connect: 5 seconds}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: dangling}
        spec:
          upstream: missing
        """.formatted(port));

    ServerProcess.Result r = ServerProcess.run("validate", dir.toString());

    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(1);
    List<String> lines = r.stderrLines();
    assertThat(lines).as(r.stderr()).hasSize(4);
    assertThat(lines.getLast()).isEqualTo(dir + ": 3 error(s)");
    assertThat(lines.subList(0, 3)).as(r.stderr()).satisfiesExactlyInAnyOrder(
        e -> assertThat(e).matches("all\\.yaml:11:3: Listener/two: spec\\.address: port clash: .+"),
        e -> assertThat(e).isEqualTo("all.yaml:18: Upstream/slow: spec.timeouts.connect: "
            + "expected a duration such as 250ms, 5s or 1m, got '5 seconds'"),
        e -> assertThat(e).matches("all\\.yaml:24:3: Route/dangling: spec\\.upstream: "
            + "Upstream 'missing' does not exist"));
  }

  @Test
  void validateWithoutADirectoryIsAUsageErrorWithExitCodeTwo() throws Exception {
    ServerProcess.Result r = ServerProcess.run("validate");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderrLines()).first().isEqualTo("Missing required parameter: 'DIR'");
    assertThat(r.stderr()).contains("Usage: sluice validate [-hV] [--cert-dir=DIR] [--log-dir=DIR] DIR");
    assertThat(r.stdout()).isEmpty();
  }

  @Test
  void noCommandAtAllIsAUsageErrorWithExitCodeTwo() throws Exception {
    ServerProcess.Result r = ServerProcess.run();

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.stderrLines()).first().isEqualTo("Missing required subcommand");
    assertThat(r.stderr()).contains("Usage: sluice", "serve", "validate");
  }

  @Test
  void aDirectoryThatDoesNotExistIsRefusedWithExitCodeOne(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing");

    ServerProcess.Result r = ServerProcess.run("validate", missing.toString());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.stderrLines()).containsExactly("sluice validate: " + missing + " is not a directory");
  }
}
