package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice serve --admin-allowed-hosts/--admin-allowed-origins}: what they let in, what stays out, bad values. */
class AdminAccessOptionsTest {
  private static final String UPSTREAM = "{\"apiVersion\":\"sluice.io/v1\",\"kind\":\"Upstream\",\"metadata\":{\"name\":\"a\"},"
      + "\"spec\":{\"endpoints\":[{\"address\":\"127.0.0.1:9001\"}]}}";

  /** The status line and body of one request sent as raw bytes. */
  private static String send(int port, String method, String path, String body, String... headers) {
    StringBuilder r = new StringBuilder(method + " " + path + " HTTP/1.1\r\nConnection: close\r\n");
    for (String h : headers) r.append(h).append("\r\n");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (!body.isEmpty()) r.append("Content-Length: ").append(bytes.length).append("\r\n");
    r.append("\r\n");
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(r.toString().getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().write(bytes);
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return all.substring(0, all.indexOf("\r\n")) + " " + all.substring(all.indexOf("\r\n\r\n") + 4);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void allowedHostsAndOriginsReachTheAdminApiAndOthersAreRefused() throws Exception {
    try (ControlPlane cp = ControlPlane.start("--admin-allowed-hosts", "admin.internal,gw.example.com",
        "--admin-allowed-origins", "https://console.example.com")) {
      int port = Integer.parseInt(cp.url().substring(cp.url().lastIndexOf(':') + 1));
      assertThat(send(port, "GET", "/api/v1/objects", "", "Host: gw.example.com:" + port))
          .isEqualTo("HTTP/1.1 200 OK {\"revision\":0,\"items\":[]}");
      assertThat(send(port, "POST", "/api/v1/apply", UPSTREAM, "Host: admin.internal", "Content-Type: application/json",
          "Origin: https://console.example.com", "Sec-Fetch-Site: cross-site")).startsWith("HTTP/1.1 200 OK {\"revision\":1,");
      assertThat(send(port, "GET", "/api/v1/objects", "", "Host: rebind.attacker.example:" + port)).isEqualTo(
          "HTTP/1.1 403 Forbidden {\"error\":\"forbidden\",\"message\":\"Host 'rebind.attacker.example:" + port + "' is not a name of"
              + " this admin API (accepted: localhost, 127.0.0.1, [::1], admin.internal, gw.example.com); a web page can reach a"
              + " local admin API under its own name through DNS rebinding. To allow the name, start sluice serve with"
              + " --admin-allowed-hosts rebind.attacker.example\",\"reason\":\"host\",\"details\":[]}");
      assertThat(send(port, "POST", "/api/v1/apply", UPSTREAM, "Host: admin.internal", "Content-Type: text/plain",
          "Origin: https://console.example.com")).startsWith("HTTP/1.1 403 Forbidden ").contains("\"reason\":\"content_type\"");
      // The CLI keeps working: JSON bodies, Host 127.0.0.1, a rollback's revision in its body.
      ServerProcess.Result rollback = cp.sluice("rollback", "--to", "0");
      assertThat(rollback.exitCode()).as(rollback.stderr()).isZero();
      assertThat(rollback.stdoutLines()).containsExactly("Upstream/a deleted", "applied as revision 2");
    }
  }

  @Test
  void aBadAllowedHostOrOriginIsAUsageErrorNamingTheOption(@TempDir Path dir) throws Exception {
    String admin = "127.0.0.1:0";
    ServerProcess.Result host = ServerProcess.run("serve", "--data-dir", dir.toString(), "--admin-address", admin,
        "--admin-allowed-hosts", "ok.example,admin.example.com:9900");
    assertThat(host.exitCode()).isEqualTo(2);
    assertThat(host.stderrLines()).containsExactly("sluice serve: --admin-allowed-hosts: invalid allowed admin host"
        + " 'admin.example.com:9900': expected a host name or IP address without scheme or port, such as admin.example.com or 10.0.0.5");
    ServerProcess.Result origin = ServerProcess.run("serve", "--data-dir", dir.toString(), "--admin-address", admin,
        "--admin-allowed-origins", "console.example.com");
    assertThat(origin.exitCode()).isEqualTo(2);
    assertThat(origin.stderrLines()).containsExactly("sluice serve: --admin-allowed-origins: invalid allowed admin origin"
        + " 'console.example.com': expected scheme://host[:port] with scheme http or https and no path, such as https://console.example.com");
  }
}
