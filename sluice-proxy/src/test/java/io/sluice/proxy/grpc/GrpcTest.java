package io.sluice.proxy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.proxy.testing.GatewayFixture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC through an h2c upstream with grpc-java on both ends: the four call kinds, messages streamed,
 * statuses and trailers from the upstream, cancellation, and the gateway's own errors as gRPC statuses.
 */
class GrpcTest {
  private final EchoService service = new EchoService();
  private Server server;
  private GatewayFixture gw;
  private ManagedChannel channel;

  /** Listener, upstream {@code echo} (h2c) at {@code address}, a route for {@code /test.Echo/} with {@code routeExtra}. */
  static String config(int port, String address, String routeExtra) {
    return """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:%d
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: echo}
        spec:
          endpoints:
            - address: %s
          protocol: h2c
          timeouts: {connect: 2s, response: 10s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: echo}
        spec:
          match: {path: {prefix: /test.Echo/}}
          upstream: echo
          %s
        """.formatted(port, address, routeExtra);
  }

  void start(String upstreamAddress, String routeExtra) throws Exception {
    gw = GatewayFixture.start(config(0, upstreamAddress, routeExtra));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gw.port(), InsecureChannelCredentials.create()).build();
  }

  void start() throws Exception {
    start("127.0.0.1:" + server.getPort(), "");
  }

  @BeforeEach
  void startServer() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service.definition())
        .build().start();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (gw != null) gw.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void unaryCallGoesThroughAnH2cUpstream() throws Exception {
    start();
    assertThat(ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi")).isEqualTo("echo:hi");
  }

  @Test
  void upstreamStatusAndMessageReachTheClientInTrailers() throws Exception {
    start();
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "fail:no such thing"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).isEqualTo("no such thing");
        });
  }

  @Test
  void clientStreamingCallSendsEveryMessage() throws Exception {
    start();
    CompletableFuture<String> result = new CompletableFuture<>();
    StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(channel.newCall(EchoService.COLLECT, CallOptions.DEFAULT),
        observer(result, new ArrayList<>()));
    for (int i = 0; i < 50; i++) requests.onNext("m" + i);
    requests.onCompleted();
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 50; i++) expected.append("m").append(i).append(',');
    assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo(expected.toString());
  }

  @Test
  void serverStreamingCallStreamsMessagesWithoutBufferingThemWhole() throws Exception {
    start();
    // The server sends the other 19 messages of 64 KiB only after the client got the first one.
    Iterator<String> replies = ClientCalls.blockingServerStreamingCall(channel, EchoService.REPEAT, CallOptions.DEFAULT, "20:65536");
    String first = replies.next();
    assertThat(first).startsWith("0:").hasSize(2 + 65536);
    assertThat(service.lastSent).isFalse();
    service.firstReceived.countDown();
    int n = 1;
    while (replies.hasNext()) {
      assertThat(replies.next()).startsWith(n + ":").hasSize(Integer.toString(n).length() + 1 + 65536);
      n++;
    }
    assertThat(n).isEqualTo(20);
  }

  @Test
  void bidiCallExchangesMessagesAsTheyCome() throws Exception {
    start();
    List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<String> done = new CompletableFuture<>();
    CountDownLatch firstReply = new CountDownLatch(1);
    StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(EchoService.CHAT, CallOptions.DEFAULT),
        new StreamObserver<>() {
          @Override
          public void onNext(String value) {
            got.add(value);
            firstReply.countDown();
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete("");
          }
        });
    requests.onNext("one");
    // The reply to the first message arrives while the call is still open.
    assertThat(firstReply.await(10, TimeUnit.SECONDS)).isTrue();
    requests.onNext("two");
    requests.onCompleted();
    done.get(10, TimeUnit.SECONDS);
    assertThat(got).containsExactly("re:one", "re:two");
  }

  @Test
  void cancellingACallResetsTheUpstreamStream() throws Exception {
    start();
    ClientCall<String, String> call = channel.newCall(EchoService.NEVER, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {}, new Metadata());
    call.sendMessage("wait");
    call.halfClose();
    call.request(1);
    assertThat(service.neverStarted.await(10, TimeUnit.SECONDS)).isTrue();
    call.cancel("the client gave up", null);
    assertThat(service.cancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void answersUnimplementedTrailersOnlyWhenNoRouteMatchesAGrpcCall() throws Exception {
    start();
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel,
        EchoService.method("Unary", io.grpc.MethodDescriptor.MethodType.UNARY).toBuilder()
            .setFullMethodName("other.Service/Unary").build(), CallOptions.DEFAULT, "hi"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
          assertThat(e.getStatus().getDescription()).isEqualTo("no route matches the request");
        });
  }

  @Test
  void answersUnavailableWhenTheUpstreamCannotBeReached() throws Exception {
    int closed = GatewayFixture.closedPort();
    start("127.0.0.1:" + closed, "");
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).startsWith("cannot connect to 127.0.0.1:" + closed);
        });
  }

  @Test
  void answersDeadlineExceededWhenTheRoutesTimeoutPasses() throws Exception {
    start("127.0.0.1:" + server.getPort(), "timeouts: {upstreamResponse: 300ms}");
    java.util.concurrent.BlockingQueue<Status> status = new java.util.concurrent.LinkedBlockingQueue<>();
    ClientCall<String, String> call = channel.newCall(EchoService.NEVER, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status s, Metadata trailers) {
        status.add(s);
      }
    }, new Metadata());
    call.sendMessage("wait");
    call.halfClose();
    call.request(1);
    Status s = status.poll(10, TimeUnit.SECONDS);
    assertThat(s).isNotNull();
    assertThat(s.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(s.getDescription()).startsWith("no response from 127.0.0.1:" + server.getPort() + " within ");
  }

  private static StreamObserver<String> observer(CompletableFuture<String> result, List<String> all) {
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        all.add(value);
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }
}
