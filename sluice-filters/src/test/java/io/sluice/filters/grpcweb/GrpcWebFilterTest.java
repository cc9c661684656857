package io.sluice.filters.grpcweb;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.sluice.proxy.testing.GatewayFixture;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * gRPC-Web calls, hand-framed over the JDK's HTTP/1.1 client as a browser library sends them,
 * through the {@code grpc-web} filter to a grpc-java upstream over h2c.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcWebFilterTest {
  private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  private static final MethodDescriptor<String, String> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<String, String> REPEAT = method("Repeat", MethodDescriptor.MethodType.SERVER_STREAMING);

  private final AtomicReference<String> upstreamContentType = new AtomicReference<>();
  private Server server;
  private GatewayFixture gw;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<String, String>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name))
        .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
  }

  @BeforeAll
  void start() throws Exception {
    ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
          if (req.startsWith("fail:")) {
            out.onError(Status.NOT_FOUND.withDescription(req.substring(5)).asRuntimeException());
            return;
          }
          out.onNext("echo:" + req);
          out.onCompleted();
        }))
        .addMethod(REPEAT, ServerCalls.asyncServerStreamingCall((req, out) -> {
          for (int i = 0; i < Integer.parseInt(req); i++) out.onNext("m" + i);
          out.onCompleted();
        }))
        .build();
    ServerInterceptor seen = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        upstreamContentType.set(headers.get(Metadata.Key.of("content-type", Metadata.ASCII_STRING_MARSHALLER)));
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(echo, seen)).build().start();
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
          endpoints:
            - address: 127.0.0.1:%d
          protocol: h2c
          timeouts: {connect: 2s, response: 10s}
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: echo}
        spec:
          match: {path: {prefix: /test.Echo/}}
          upstream: echo
          filters:
            - kind: cors
              config:
                allowOrigins: [https://app.example.com]
                allowMethods: [POST]
                allowHeaders: [content-type, x-grpc-web, x-user-agent, grpc-timeout]
                exposeHeaders: [grpc-status, grpc-message]
            - kind: grpc-web
        """.formatted(server.getPort()));
  }

  @AfterAll
  void stop() throws Exception {
    if (gw != null) gw.close();
    if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private HttpResponse<byte[]> call(String method, String contentType, byte[] body) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/test.Echo/" + method))
        .timeout(Duration.ofSeconds(20)).header("content-type", contentType).header("x-grpc-web", "1")
        .header("origin", "https://app.example.com")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    return client.send(r, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A gRPC message frame (flags 0, length, bytes) or, with {@code flags} 0x80, a trailer frame. */
  private static byte[] frame(int flags, String payload) {
    byte[] p = payload.getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(flags);
    out.write(p.length >>> 24);
    out.write(p.length >>> 16);
    out.write(p.length >>> 8);
    out.write(p.length);
    out.writeBytes(p);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  @Test
  void unaryCallGetsItsMessageAndATrailerFrame() throws Exception {
    HttpResponse<byte[]> r = call("Unary", "application/grpc-web+proto", frame(0, "hi"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/grpc-web");
    assertThat(r.headers().firstValue("access-control-allow-origin")).hasValue("https://app.example.com");
    assertThat(r.headers().firstValue("access-control-expose-headers")).hasValue("grpc-status, grpc-message");
    assertThat(r.body()).isEqualTo(concat(frame(0, "echo:hi"), frame(0x80, "grpc-status:0\r\n")));
    assertThat(upstreamContentType.get()).isEqualTo("application/grpc+proto");
  }

  @Test
  void serverStreamingCallGetsEveryMessageThenTheTrailerFrame() throws Exception {
    HttpResponse<byte[]> r = call("Repeat", "application/grpc-web", frame(0, "3"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/grpc-web");
    assertThat(r.body()).isEqualTo(concat(frame(0, "m0"), frame(0, "m1"), frame(0, "m2"),
        frame(0x80, "grpc-status:0\r\n")));
  }

  @Test
  void http2ClientGetsTheTrailerFrameToo() throws Exception {
    // A browser over TLS speaks h2 to the gateway: the same call over an HTTP/2 client connection.
    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/test.Echo/Repeat"))
        .timeout(Duration.ofSeconds(20)).header("content-type", "application/grpc-web")
        .POST(HttpRequest.BodyPublishers.ofByteArray(frame(0, "2"))).build();
    // The first request on a connection asks for h2c by Upgrade; the next one goes over HTTP/2.
    h2.send(r, HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> resp = h2.send(r, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(resp.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(resp.body()).isEqualTo(concat(frame(0, "m0"), frame(0, "m1"), frame(0x80, "grpc-status:0\r\n")));
  }

  @Test
  void textModeDecodesTheRequestAndEncodesTheResponseInBase64() throws Exception {
    byte[] body = Base64.getEncoder().encode(frame(0, "text"));
    HttpResponse<byte[]> r = call("Unary", "application/grpc-web-text", body);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/grpc-web-text");
    byte[] expected = concat(frame(0, "echo:text"), frame(0x80, "grpc-status:0\r\n"));
    assertThat(new String(r.body(), StandardCharsets.US_ASCII)).isEqualTo(
        // the messages as one segment, then the trailer frame as another
        Base64.getEncoder().encodeToString(frame(0, "echo:text"))
            + Base64.getEncoder().encodeToString(frame(0x80, "grpc-status:0\r\n")));
    assertThat(decodeSegments(r.body())).isEqualTo(expected);
  }

  @Test
  void upstreamErrorStatusArrivesInTheTrailerFrame() throws Exception {
    HttpResponse<byte[]> r = call("Unary", "application/grpc-web", frame(0, "fail:no such thing"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/grpc-web");
    assertThat(r.headers().firstValue("grpc-status")).hasValue("5");
    assertThat(r.body()).isEqualTo(frame(0x80, "grpc-status:5\r\ngrpc-message:no such thing\r\n"));
  }

  @Test
  void malformedFrameGetsAnInternalStatusSayingWhatIsWrong() throws Exception {
    byte[] bad = frame(0, "hi");
    bad[0] = 0x7f;
    HttpResponse<byte[]> r = call("Unary", "application/grpc-web", bad);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("grpc-status")).hasValue("13");
    String message = "malformed gRPC-Web frame at byte 0 of the request body: flags 0x7f; expected 0x00 or 0x01 (a message)";
    assertThat(r.body()).isEqualTo(frame(0x80, "grpc-status:13\r\ngrpc-message:"
        + java.net.URLEncoder.encode(message, StandardCharsets.UTF_8).replace("+", "%20") + "\r\n"));

    HttpResponse<byte[]> text = call("Unary", "application/grpc-web-text", "AAAA*AAB".getBytes(StandardCharsets.US_ASCII));
    assertThat(text.statusCode()).isEqualTo(200);
    assertThat(text.headers().firstValue("grpc-status")).hasValue("13");
    assertThat(text.headers().firstValue("grpc-message")).hasValue(java.net.URLEncoder.encode(
        "invalid base64 at byte 4 of the body: '*'; expected A-Z, a-z, 0-9, + or / (and = at the end of a group of 4)",
        StandardCharsets.UTF_8).replace("+", "%20"));
  }

  @Test
  void corsPreflightForAGrpcWebCallIsAnswered() throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/test.Echo/Unary"))
        .timeout(Duration.ofSeconds(20)).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("origin", "https://app.example.com").header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-grpc-web,x-user-agent").build();
    HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).isEqualTo(204);
    assertThat(resp.headers().firstValue("access-control-allow-origin")).hasValue("https://app.example.com");
    assertThat(resp.headers().firstValue("access-control-allow-methods")).hasValue("POST");
    assertThat(resp.headers().firstValue("access-control-allow-headers"))
        .hasValue("content-type, x-grpc-web, x-user-agent, grpc-timeout");
    assertThat(resp.body()).isEmpty();
  }

  /** Decodes a gRPC-Web text body: base64 segments, each ending where its padding does. */
  private static byte[] decodeSegments(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String s = new String(body, StandardCharsets.US_ASCII);
    int start = 0;
    for (int i = 0; i + 4 <= s.length(); i += 4) {
      if (s.charAt(i + 3) == '=' || i + 4 == s.length()) {
        out.writeBytes(Base64.getDecoder().decode(s.substring(start, i + 4)));
        start = i + 4;
      }
    }
    return out.toByteArray();
  }
}
