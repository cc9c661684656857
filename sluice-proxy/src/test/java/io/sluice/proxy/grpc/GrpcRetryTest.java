package io.sluice.proxy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.sluice.proxy.testing.GatewayFixture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Retries keyed on gRPC status codes ({@code retries.grpcStatuses}): two grpc-java endpoints, the
 * first call to either fails as the request asks, later calls answer with their endpoint's name.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcRetryTest {
  private final AtomicBoolean failed = new AtomicBoolean();
  private final AtomicInteger calls = new AtomicInteger();
  private volatile String failedOn = "";
  private static final io.grpc.MethodDescriptor<String, String> SLOW =
      EchoService.method("Slow", io.grpc.MethodDescriptor.MethodType.UNARY);
  /** The deadline each call of Slow arrived with (its grpc-timeout), in milliseconds. */
  private final List<Long> deadlines = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Server> servers = new ArrayList<>();
  private GatewayFixture gw;
  private ManagedChannel channel;

  /** Endpoint {@code name}: the first call of the test fails with the code its request names. */
  private ServerServiceDefinition service(String name) {
    return ServerServiceDefinition.builder("test.Echo")
        .addMethod(EchoService.UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
          calls.incrementAndGet();
          if (failed.compareAndSet(false, true)) {
            failedOn = name;
            out.onError(Status.fromCode(Status.Code.valueOf(req)).withDescription("from " + name).asRuntimeException());
            return;
          }
          out.onNext("from " + name);
          out.onCompleted();
        }))
        .addMethod(SLOW, ServerCalls.asyncUnaryCall((req, out) -> {
          io.grpc.Deadline d = io.grpc.Context.current().getDeadline();
          deadlines.add(d == null ? -1 : d.timeRemaining(TimeUnit.MILLISECONDS));
          if (failed.compareAndSet(false, true)) {
            try {
              Thread.sleep(700);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            out.onError(Status.UNAVAILABLE.withDescription("slow " + name).asRuntimeException());
          }
          // The retry never answers: the call's deadline ends it.
        }))
        .addMethod(EchoService.REPEAT, ServerCalls.asyncServerStreamingCall((req, out) -> {
          calls.incrementAndGet();
          out.onNext("message from " + name);
          if (failed.compareAndSet(false, true)) {
            failedOn = name;
            out.onError(Status.UNAVAILABLE.withDescription("after a message from " + name).asRuntimeException());
            return;
          }
          out.onCompleted();
        }))
        .build();
  }

  @BeforeAll
  void start() throws Exception {
    for (String name : List.of("a", "b")) {
      servers.add(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service(name))
          .build().start());
    }
    gw = GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:0
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: echo}
        spec:
          endpoints: [{address: 127.0.0.1:%d}, {address: 127.0.0.1:%d}]
          protocol: h2c
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: echo}
        spec:
          match: {path: {prefix: /test.Echo/}}
          upstream: echo
          retries:
            attempts: 2
            grpcStatuses: [unavailable, resource-exhausted]
            backoff: {base: 1ms, max: 1ms, jitter: 0}
        """.formatted(servers.get(0).getPort(), servers.get(1).getPort()));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gw.port(), InsecureChannelCredentials.create()).build();
  }

  @AfterAll
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    gw.close();
    for (Server s : servers) s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @BeforeEach
  void reset() {
    failed.set(false);
    calls.set(0);
    failedOn = "";
    deadlines.clear();
  }

  @Test
  void trailersOnlyUnavailableIsRetriedOnTheOtherEndpoint() {
    String reply = ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "UNAVAILABLE");
    String other = failedOn.equals("a") ? "b" : "a";
    assertThat(reply).isEqualTo("from " + other);
    assertThat(calls).hasValue(2);
  }

  @Test
  void aCodeNotInTheListIsNotRetried() {
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "INTERNAL"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
          assertThat(e.getStatus().getDescription()).isEqualTo("from " + failedOn);
        });
    assertThat(calls).hasValue(1);
  }

  @Test
  void aResponseThatAlreadySentAMessageIsNotRetried() {
    Iterator<String> replies = ClientCalls.blockingServerStreamingCall(channel, EchoService.REPEAT, CallOptions.DEFAULT, "x");
    assertThat(replies.next()).isEqualTo("message from " + failedOn);
    assertThatThrownBy(replies::hasNext).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(e.getStatus().getDescription()).isEqualTo("after a message from " + failedOn);
    });
    assertThat(calls).hasValue(1);
  }

  @Test
  void grpcTimeoutBoundsTheWholeCallAndEachRetrySendsWhatIsLeft(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    // curl, so that the client itself does not enforce the deadline: the answer must be the gateway's.
    byte[] message = "x".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.file.Path body = dir.resolve("call.bin");
    java.nio.file.Files.write(body, new byte[] {0, 0, 0, 0, (byte) message.length, message[0]});
    Process p = new ProcessBuilder("curl", "-sS", "-i", "--http2-prior-knowledge", "-H", "content-type: application/grpc",
        "-H", "te: trailers", "-H", "grpc-timeout: 1000m", "--data-binary", "@" + body,
        "http://127.0.0.1:" + gw.port() + "/test.Echo/Slow").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).contains("HTTP/2 200", "grpc-status: 4", "x-sluice-reason: upstream_request_timeout",
        "grpc-message: no response from upstream echo within the call's grpc-timeout of 1s (every attempt included)");
    assertThat(deadlines).hasSize(2);
    // The first attempt got (about) the client's second; the retry, after the first ate 700ms, what was left.
    assertThat(deadlines.get(0)).isBetween(700L, 1000L);
    assertThat(deadlines.get(1)).isBetween(0L, 300L);
  }
}
