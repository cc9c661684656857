package io.sluice.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestCerts;
import io.sluice.proxy.testing.WebSocketEchoServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** WebSocket on an HTTPS listener: the tunnel's relay sits behind the listener's TLS handler. */
class WebSocketOverTlsTest {
  private static final TestCerts CA = TestCerts.ca("ws-ca");

  @Test
  void relaysMessagesOverWss() throws Exception {
    try (WebSocketEchoServer echo = WebSocketEchoServer.start();
        GatewayFixture gw = GatewayFixture.start(TlsFixture.secret("web", CA.leaf("localhost", "localhost", "127.0.0.1"))
            + TlsFixture.listener(0, "{certificates: [{secret: web}]}", echo.address()))) {
      HttpClient client = HttpClient.newBuilder().sslContext(TlsRotationTest.trusting(CA.caCert().cert()))
          .connectTimeout(Duration.ofSeconds(5)).build();
      CompletableFuture<String> text = new CompletableFuture<>();
      CompletableFuture<String> closed = new CompletableFuture<>();
      WebSocket ws = client.newWebSocketBuilder().buildAsync(URI.create("wss://localhost:" + gw.port() + "/secure"),
          new WebSocket.Listener() {
            private final StringBuilder sofar = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
              sofar.append(data);
              if (last) text.complete(sofar.toString());
              w.request(1);
              return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
              closed.complete(code + ":" + reason);
              return null;
            }
          }).get(10, TimeUnit.SECONDS);
      ws.sendText("over tls", true).get(5, TimeUnit.SECONDS);
      assertThat(text.get(10, TimeUnit.SECONDS)).isEqualTo("over tls");
      assertThat(echo.handshakes().getFirst()).containsEntry("x-forwarded-proto", "https");
      ws.sendClose(4002, "tls bye").get(5, TimeUnit.SECONDS);
      assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo("4002:tls bye");
    }
  }
}
