package io.sluice.proxy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.sluice.proxy.testing.GatewayFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC with Python's grpcio (Debian's python3-grpcio) as a second, independent implementation:
 * its client and server on both sides of the gateway, for unary and bidirectional calls
 * ({@code src/test/resources/grpc/echo.py}).
 */
class PythonGrpcTest {
  /** Debian's python3 (python3-grpcio is a Debian package; a pyenv's python3 would not see it). */
  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  private static void assumeGrpcio() throws Exception {
    boolean ok;
    try {
      Process p = new ProcessBuilder(python(), "-c", "import grpc").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      ok = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      ok = false;
    }
    assumeTrue(ok, "python3-grpcio is not installed (bin/test installs it when run as root)");
  }

  private static Path script(Path dir) throws IOException {
    Path p = dir.resolve("echo.py");
    try (InputStream in = PythonGrpcTest.class.getResourceAsStream("/grpc/echo.py")) {
      if (in == null) throw new IllegalStateException("grpc/echo.py is not on the test class path");
      Files.write(p, in.readAllBytes());
    }
    return p;
  }

  /** Runs the script's client; returns its output lines joined by \n. */
  private static String client(Path script, String... args) throws Exception {
    String[] cmd = new String[args.length + 2];
    cmd[0] = python();
    cmd[1] = script.toString();
    System.arraycopy(args, 0, cmd, 2, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out.strip();
  }

  @Test
  void grpcioClientAndServerTalkThroughTheGateway(@TempDir Path dir) throws Exception {
    assumeGrpcio();
    Path script = script(dir);
    Process server = new ProcessBuilder(python(), script.toString(), "server").redirectErrorStream(true).start();
    try {
      String first = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertThat(first).startsWith("port ");
      String upstream = "127.0.0.1:" + first.substring(5);
      try (GatewayFixture gw = GatewayFixture.start(GrpcTest.config(0, upstream, ""))) {
        String gateway = "127.0.0.1:" + gw.port();
        assertThat(client(script, "unary", gateway, "hello")).isEqualTo("py-echo:hello");
        assertThat(client(script, "unary", gateway, "fail:gone away")).isEqualTo("status NOT_FOUND gone away");
        // Each message goes only after the reply to the one before: the call streams both ways.
        assertThat(client(script, "chat", gateway, "a", "b", "c")).isEqualTo("py-re:a\npy-re:b\npy-re:c");
        // grpc-java's client against the grpcio server, through the gateway.
        ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", gw.port(), InsecureChannelCredentials.create()).build();
        try {
          assertThat(ClientCalls.blockingUnaryCall(ch, EchoService.UNARY, CallOptions.DEFAULT, "java")).isEqualTo("py-echo:java");
        } finally {
          ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    } finally {
      server.getOutputStream().close();
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void grpcioClientGetsTheGatewaysOwnErrorsAsStatuses(@TempDir Path dir) throws Exception {
    assumeGrpcio();
    Path script = script(dir);
    int closed = GatewayFixture.closedPort();
    try (GatewayFixture gw = GatewayFixture.start(GrpcTest.config(0, "127.0.0.1:" + closed, ""))) {
      assertThat(client(script, "unary", "127.0.0.1:" + gw.port(), "x"))
          .startsWith("status UNAVAILABLE cannot connect to 127.0.0.1:" + closed);
    }
  }
}
