package io.sluice.filters.grpcjson;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.sluice.filters.testing.Configs;
import io.sluice.proxy.testing.GatewayFixture;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * REST calls with JSON through the {@code grpc-json} filter to a grpc-java upstream over h2c, whose
 * messages are defined by {@code grpcjson/things.proto} (the descriptor set {@code things.pb}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcJsonFilterTest {
  private Path descriptorSet;
  private FileDescriptor things;
  private Server server;
  private GatewayFixture gw;
  private final AtomicInteger created = new AtomicInteger();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  @TempDir Path tmp;

  private static MethodDescriptor.Marshaller<DynamicMessage> marshaller(Descriptor type) {
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(DynamicMessage value) {
        return new ByteArrayInputStream(value.toByteArray());
      }

      @Override
      public DynamicMessage parse(InputStream stream) {
        try {
          return DynamicMessage.parseFrom(type, stream);
        } catch (java.io.IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  private MethodDescriptor<DynamicMessage, DynamicMessage> method(String name, MethodDescriptor.MethodType kind) {
    com.google.protobuf.Descriptors.MethodDescriptor m = things.findServiceByName("Things").findMethodByName(name);
    return MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder().setType(kind)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.things.Things", name))
        .setRequestMarshaller(marshaller(m.getInputType())).setResponseMarshaller(marshaller(m.getOutputType())).build();
  }

  private DynamicMessage thing(String id, String name, int count) {
    Descriptor t = things.findMessageTypeByName("Thing");
    return DynamicMessage.newBuilder(t).setField(t.findFieldByName("id"), id).setField(t.findFieldByName("name"), name)
        .setField(t.findFieldByName("count"), count).build();
  }

  private static Object field(DynamicMessage m, String name) {
    return m.getField(m.getDescriptorForType().findFieldByName(name));
  }

  @BeforeAll
  void start() throws Exception {
    descriptorSet = Path.of(GrpcJsonFilterTest.class.getResource("/grpcjson/things.pb").toURI());
    FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(descriptorSet));
    List<FileDescriptor> linked = new ArrayList<>();
    for (FileDescriptorProto p : set.getFileList()) {
      List<FileDescriptor> deps = new ArrayList<>();
      for (String d : p.getDependencyList()) for (FileDescriptor f : linked) if (f.getName().equals(d)) deps.add(f);
      linked.add(FileDescriptor.buildFrom(p, deps.toArray(new FileDescriptor[0])));
    }
    things = linked.get(linked.size() - 1);
    ServerServiceDefinition service = ServerServiceDefinition.builder("test.things.Things")
        .addMethod(method("GetThing", MethodDescriptor.MethodType.UNARY), ServerCalls.asyncUnaryCall((req, out) -> {
          String id = (String) field(req, "id");
          if (id.equals("half")) {
            // A message, then an error in the trailers: the status arrives after the body began.
            out.onNext(thing(id, "half a thing", 0));
            out.onError(Status.ABORTED.withDescription("changed meanwhile").asRuntimeException());
            return;
          }
          if (id.equals("missing")) {
            out.onError(Status.NOT_FOUND.withDescription("thing 'missing' does not exist").asRuntimeException());
            return;
          }
          out.onNext(thing(id, "thing " + id, Boolean.TRUE.equals(field(req, "verbose")) ? 2 : 1));
          out.onCompleted();
        }))
        .addMethod(method("CreateThing", MethodDescriptor.MethodType.UNARY), ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(req.toBuilder().setField(req.getDescriptorForType().findFieldByName("id"), "new-" + created.incrementAndGet()).build());
          out.onCompleted();
        }))
        .addMethod(method("ListThings", MethodDescriptor.MethodType.SERVER_STREAMING), ServerCalls.asyncServerStreamingCall((req, out) -> {
          int n = (Integer) field(req, "count");
          for (int i = 0; i < n; i++) out.onNext(thing("t" + i, "thing " + i, i));
          out.onCompleted();
        }))
        .addMethod(method("Echo", MethodDescriptor.MethodType.UNARY), ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(req);
          out.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    gw = GatewayFixture.start("""
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main}
        spec:
          address: 127.0.0.1:0
        ---
        apiVersion: sluice.io/v1
        kind: Upstream
        metadata: {name: things}
        spec:
          endpoints:
            - address: 127.0.0.1:%d
          protocol: h2c
          timeouts: {connect: 2s, response: 10s}
        ---
        apiVersion: sluice.io/v1
        kind: Secret
        metadata: {name: things-descriptors}
        spec:
          value: %s
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: things}
        spec:
          match: {path: {prefix: /v1/}}
          upstream: things
          filters:
            - kind: grpc-json
              config:
                descriptorSetFile: %s
                descriptorSetSha256: %s
                services: [test.things.Things]
        ---
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: things-rpc}
        spec:
          match: {path: {prefix: /test.things.Things/}}
          upstream: things
          filters:
            - kind: grpc-json
              config:
                descriptorSetSecret: things-descriptors
                services: [test.things.Things]
        """.formatted(server.getPort(), Base64.getEncoder().encodeToString(Files.readAllBytes(descriptorSet)), descriptorSet,
        sha256(descriptorSet)));
  }

  @AfterAll
  void stop() throws Exception {
    if (gw != null) gw.close();
    if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private HttpResponse<String> send(String method, String path, String json) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + path)).timeout(Duration.ofSeconds(20));
    if (json == null) r.GET(); else r.method(method, HttpRequest.BodyPublishers.ofString(json)).header("content-type", "application/json");
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void getWithAPathParameterReachesTheGrpcMethodAndAnswersItsJson() throws Exception {
    HttpResponse<String> r = send("GET", "/v1/things/42", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.body()).isEqualTo("{\"id\":\"42\",\"name\":\"thing 42\",\"count\":1}");
  }

  @Test
  void queryParametersSetTheFieldsThePathDoesNotBind() throws Exception {
    HttpResponse<String> r = send("GET", "/v1/things/a%20b?verbose=true", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"a b\",\"name\":\"thing a b\",\"count\":2}");
  }

  @Test
  void postWithAJsonBodyBecomesTheRequestMessage() throws Exception {
    HttpResponse<String> r = send("POST", "/v1/things", "{\"name\": \"box\", \"count\": 3, \"tags\": [\"a\", \"b\"]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).matches("\\{\"id\":\"new-\\d+\",\"name\":\"box\",\"count\":3,\"tags\":\\[\"a\",\"b\"\\]\\}");
  }

  @Test
  void methodWithoutAnnotationIsPostedAtItsGrpcPathWithADescriptorSetFromASecret() throws Exception {
    HttpResponse<String> r = send("POST", "/test.things.Things/Echo", "{\"id\":\"e\",\"name\":\"echo\"}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.body()).isEqualTo("{\"id\":\"e\",\"name\":\"echo\"}");
  }

  @Test
  void upstreamNotFoundBecomes404WithTheJsonError() throws Exception {
    HttpResponse<String> r = send("GET", "/v1/things/missing", null);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.body()).isEqualTo("{\"code\":5,\"message\":\"thing 'missing' does not exist\"}");
  }

  @Test
  void errorInTheTrailersAfterAMessageSetsTheHttpStatus() throws Exception {
    HttpResponse<String> r = send("GET", "/v1/things/half", null);
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.body()).isEqualTo("{\"code\":10,\"message\":\"changed meanwhile\"}");
  }

  @Test
  void malformedJsonGets400NamingTheProblemAndNothingGoesUpstream() throws Exception {
    int before = created.get();
    HttpResponse<String> r = send("POST", "/v1/things", "{\"name\": \"box\", \"count\": \"many\"}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(r.body()).isEqualTo("{\"code\":3,\"message\":\"invalid request for test.things.Thing: Not an int32 value: \\\"many\\\"\"}");
    HttpResponse<String> unknown = send("POST", "/v1/things", "{\"colour\": \"red\"}");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("colour");
    HttpResponse<String> broken = send("POST", "/v1/things", "{\"name\": ");
    assertThat(broken.statusCode()).isEqualTo(400);
    assertThat(broken.body()).startsWith("{\"code\":3,\"message\":\"invalid request for test.things.Thing: ");
    assertThat(created.get()).isEqualTo(before);
  }

  @Test
  void serverStreamingMethodAnswersAJsonArray() throws Exception {
    HttpResponse<String> r = send("GET", "/v1/things?count=3", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("[{\"id\":\"t0\",\"name\":\"thing 0\"},{\"id\":\"t1\",\"name\":\"thing 1\",\"count\":1},"
        + "{\"id\":\"t2\",\"name\":\"thing 2\",\"count\":2}]");
    HttpResponse<String> none = send("GET", "/v1/things?count=0", null);
    assertThat(none.statusCode()).isEqualTo(200);
    assertThat(none.body()).isEqualTo("[]");
  }

  @Test
  void badConfigIsRefusedNamingTheFileServiceOrRule() throws Exception {
    assertThat(Configs.routeErrors("""
        - kind: grpc-json
          config: {descriptorSetFile: /nonexistent/things.pb, descriptorSetSha256: %s, services: [test.things.Things]}
        """.formatted(sha256(descriptorSet)))).singleElement().asString()
        .startsWith("Route/r: spec.filters[0].config.descriptorSetFile: cannot read '/nonexistent/things.pb'");
    assertThat(Configs.routeErrors("""
        - kind: grpc-json
          config: {descriptorSetFile: %s, descriptorSetSha256: %s, services: [test.things.Nope]}
        """.formatted(descriptorSet, sha256(descriptorSet)))).containsExactly("Route/r: spec.filters[0].config.services[0]: service 'test.things.Nope' "
        + "is not in the descriptor set (descriptorSetFile '" + descriptorSet + "'); expected a fully qualified name such as package.Service");
    Path bad = tmp.resolve("bad-rule.pb");
    Files.write(bad, withRule("GetThing", "v1/things/{id}").toByteArray());
    assertThat(Configs.routeErrors("""
        - kind: grpc-json
          config: {descriptorSetFile: %s, descriptorSetSha256: %s, services: [test.things.Things]}
        """.formatted(bad, sha256(bad)))).containsExactly("Route/r: spec.filters[0].config.services[0] (test.things.Things.GetThing, google.api.http): "
        + "path template 'v1/things/{id}' must start with /");
    Files.write(bad, withRule("GetThing", "/v1/things/{nope}").toByteArray());
    assertThat(Configs.routeErrors("""
        - kind: grpc-json
          config: {descriptorSetFile: %s, descriptorSetSha256: %s, services: [test.things.Things]}
        """.formatted(bad, sha256(bad)))).containsExactly("Route/r: spec.filters[0].config.services[0] (test.things.Things.GetThing, google.api.http): "
        + "path variable 'nope' of '/v1/things/{nope}' is not a singular scalar field of test.things.GetThingRequest");
    Files.write(bad, new byte[] {1, 2, 3});
    assertThat(Configs.routeErrors("""
        - kind: grpc-json
          config: {descriptorSetFile: %s, descriptorSetSha256: %s, services: [test.things.Things]}
        """.formatted(bad, sha256(bad)))).singleElement().asString()
        .startsWith("Route/r: spec.filters[0].config.descriptorSetFile: not a FileDescriptorSet");
  }

  @Test
  void descriptorFileIsUsedOnlyWithItsSha256() throws Exception {
    String zeros = "0".repeat(64);
    assertThat(Configs.routeErrors("""
        - kind: grpc-json
          config: {descriptorSetFile: %s, services: [test.things.Things]}
        """.formatted(descriptorSet))).containsExactly("Route/r: spec.filters[0].config.descriptorSetSha256: missing; "
        + "expected the 64 hex digits sha256sum prints for descriptorSetFile");
    assertThat(Configs.routeErrors("""
        - kind: grpc-json
          config: {descriptorSetFile: %s, descriptorSetSha256: %s, services: [test.things.Things]}
        """.formatted(descriptorSet, "'" + zeros + "'"))).containsExactly("Route/r: spec.filters[0].config.descriptorSetFile: '" + descriptorSet
        + "' has SHA-256 " + sha256(descriptorSet) + ", expected descriptorSetSha256 " + zeros);
    Path link = tmp.resolve("link.pb");
    Files.createSymbolicLink(link, descriptorSet);
    assertThat(Configs.routeErrors("""
        - kind: grpc-json
          config: {descriptorSetFile: %s, descriptorSetSha256: %s, services: [test.things.Things]}
        """.formatted(link, sha256(descriptorSet)))).containsExactly("Route/r: spec.filters[0].config.descriptorSetFile: '" + link
        + "' is not a regular file (links, FIFOs and devices are refused)");
  }

  private static String sha256(Path file) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  /** things.pb with {@code method}'s http rule replaced by {@code get: path}. */
  private FileDescriptorSet withRule(String method, String path) throws InvalidProtocolBufferException, java.io.IOException {
    FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(descriptorSet));
    FileDescriptorSet.Builder b = set.toBuilder();
    FileDescriptorProto.Builder file = b.getFileBuilder(b.getFileCount() - 1);
    ServiceDescriptorProto.Builder service = file.getServiceBuilder(0);
    for (MethodDescriptorProto.Builder m : service.getMethodBuilderList()) {
      if (!m.getName().equals(method)) continue;
      UnknownFieldSet rule = UnknownFieldSet.newBuilder()
          .addField(2, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8(path)).build()).build();
      m.setOptions(MethodOptions.newBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
          .addField(72295728, UnknownFieldSet.Field.newBuilder().addLengthDelimited(rule.toByteString()).build()).build()));
    }
    return b.build();
  }
}
