package io.sluice.proxy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.sluice.api.validate.PathPolicy;
import io.sluice.proxy.testing.GatewayFixture;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code grpc-status} in the access log ({@code grpcStatus}) and in {@code sluice_grpc_requests_total}:
 * the upstream's status from its trailers, the gateway's own from its trailers-only answer, and
 * nothing for plain HTTP. One gateway for the class; each test uses its own routes, so their counts
 * do not mix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcObservabilityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final EchoService service = new EchoService();
  private Path dir;
  private Path log;
  private Server server;
  private GatewayFixture gw;
  private ManagedChannel channel;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("grpc-obs");
    log = dir.resolve("access.log");
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service.definition())
        .build().start();
    gw = GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:0
          accessLog:
            format: json
            fields: [path, status, route, grpcStatus]
            file: {path: access.log}
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: echo}
        spec:
          endpoints: [{address: 127.0.0.1:%d}]
          protocol: h2c
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: dead}
        spec:
          endpoints: [{address: 127.0.0.1:%d}]
          protocol: h2c
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: echo}
        spec:
          match: {path: {prefix: /test.Echo/}}
          upstream: echo
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: dead}
        spec:
          match: {path: {prefix: /dead.Echo/}}
          upstream: dead
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: plain}
        spec:
          match: {path: {exact: /plain}}
          directResponse: {status: 200, body: "plain"}
        """.formatted(server.getPort(), GatewayFixture.closedPort()), PathPolicy.logDirectory(dir));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gw.port(), InsecureChannelCredentials.create()).build();
  }

  @AfterAll
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    gw.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void upstreamsNotFoundInTrailersIsLoggedAndCountedAsGrpcStatus5() throws Exception {
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "fail:gone"))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi")).isEqualTo("echo:hi");
    JsonNode failed = await().atMost(Duration.ofSeconds(10)).until(() -> lines("echo"), l -> l.size() == 2).stream()
        .filter(n -> n.get("grpcStatus").asInt() != 0).findFirst().orElseThrow();
    assertThat(failed.toString()).isEqualTo("{\"path\":\"/test.Echo/Unary\",\"status\":200,\"route\":\"echo\",\"grpcStatus\":5}");
    assertThat(grpcSamples("echo")).containsExactly(
        "sluice_grpc_requests_total{route=\"echo\",grpc_status=\"0\"} 1",
        "sluice_grpc_requests_total{route=\"echo\",grpc_status=\"5\"} 1");
  }

  @Test
  void gatewaysOwnUnavailableIsLoggedAndCountedAsGrpcStatus14() throws Exception {
    MethodDescriptor<String, String> dead = EchoService.UNARY.toBuilder().setFullMethodName("dead.Echo/Unary").build();
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, dead, CallOptions.DEFAULT, "hi"))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    JsonNode line = await().atMost(Duration.ofSeconds(10)).until(() -> lines("dead"), l -> l.size() == 1).get(0);
    assertThat(line.toString()).isEqualTo("{\"path\":\"/dead.Echo/Unary\",\"status\":200,\"route\":\"dead\",\"grpcStatus\":14}");
    assertThat(grpcSamples("dead")).containsExactly("sluice_grpc_requests_total{route=\"dead\",grpc_status=\"14\"} 1");
  }

  @Test
  void plainHttpTrafficHasNoGrpcStatusAndNoGrpcSeries() throws Exception {
    assertThat(gw.get(gw.port(), "/plain").body()).isEqualTo("plain");
    JsonNode line = await().atMost(Duration.ofSeconds(10)).until(() -> lines("plain"), l -> l.size() == 1).get(0);
    assertThat(line.toString()).isEqualTo("{\"path\":\"/plain\",\"status\":200,\"route\":\"plain\",\"grpcStatus\":null}");
    assertThat(grpcSamples("plain")).isEmpty();
  }

  private List<JsonNode> lines(String route) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(log)) return out;
    for (String l : Files.readAllLines(log)) {
      JsonNode n = JSON.readTree(l);
      if (route.equals(n.get("route").asText())) out.add(n);
    }
    return out;
  }

  private List<String> grpcSamples(String route) throws Exception {
    StringBuilder sb = new StringBuilder();
    gw.gateway().metrics().writePrometheus(sb);
    return sb.toString().lines()
        .filter(l -> l.startsWith("sluice_grpc_requests_total{route=\"" + route + "\""))
        .toList();
  }
}
