package io.sluice.proxy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.sluice.proxy.testing.GatewayFixture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The gRPC health checking protocol as an active health check ({@code healthCheck.grpc}), against
 * grpc-java's own {@code grpc.health.v1} service ({@link HealthStatusManager}) on two h2c endpoints.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcHealthCheckTest {
  private final List<Server> servers = new ArrayList<>();
  private final List<HealthStatusManager> health = new ArrayList<>();
  private GatewayFixture gw;
  private ManagedChannel channel;

  private static ServerServiceDefinition named(String name) {
    return ServerServiceDefinition.builder("test.Echo")
        .addMethod(EchoService.UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(name);
          out.onCompleted();
        }))
        .build();
  }

  @BeforeAll
  void start() throws Exception {
    for (String name : List.of("a", "b")) {
      HealthStatusManager h = new HealthStatusManager();
      h.setStatus("test.Echo", ServingStatus.SERVING);
      health.add(h);
      servers.add(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(named(name))
          .addService(h.getHealthService()).build().start());
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
          healthCheck: {grpc: {service: test.Echo}, interval: 1s, timeout: 1s, unhealthyThreshold: 3, healthyThreshold: 1}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: echo}
        spec:
          match: {path: {prefix: /test.Echo/}}
          upstream: echo
        """.formatted(servers.get(0).getPort(), servers.get(1).getPort()));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gw.port(), InsecureChannelCredentials.create()).build();
  }

  @AfterAll
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    gw.close();
    for (Server s : servers) s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Which endpoints answer eight calls in a row. */
  private Set<String> answering() {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < 8; i++) names.add(ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi"));
    return names;
  }

  @Test
  void anEndpointNotServingIsTakenOutAndComesBackWhenServingAgain() {
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> answering().equals(Set.of("a", "b")));
    health.get(1).setStatus("test.Echo", ServingStatus.NOT_SERVING);
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> answering().equals(Set.of("a")));
    // Out for good while it stays NOT_SERVING, not just for a check or two.
    for (int i = 0; i < 5; i++) assertThat(answering()).containsExactly("a");
    health.get(1).setStatus("test.Echo", ServingStatus.SERVING);
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> answering().equals(Set.of("a", "b")));
  }

  @Test
  void anUnknownServiceFailsTheCheck() {
    health.get(0).clearStatus("test.Echo");
    try {
      // SERVICE_UNKNOWN (grpc-java answers NOT_FOUND for a service it has no status of) takes the endpoint out.
      await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> answering().equals(Set.of("b")));
    } finally {
      health.get(0).setStatus("test.Echo", ServingStatus.SERVING);
    }
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> answering().equals(Set.of("a", "b")));
  }
}
