package io.sluice.admin.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.admin.AdminAccess;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules on a non-loopback listener, which the tests cannot bind (they serve on 127.0.0.1 only). */
class BrowserGuardTest {
  private static final InetSocketAddress LOCAL = new InetSocketAddress("10.1.2.3", 9900);

  private static HttpHeaders headers(String... nameValue) {
    HttpHeaders h = new DefaultHttpHeaders();
    for (int i = 0; i < nameValue.length; i += 2) h.add(nameValue[i], nameValue[i + 1]);
    return h;
  }

  @Test
  void nonLoopbackListenerChecksHostOnlyOnceHostsAreAllowedAndOriginAlways() {
    BrowserGuard open = new BrowserGuard(AdminAccess.DEFAULT, false);
    open.checkSource(headers("Host", "gateway.example.com:9900"), LOCAL);
    ApiError foreign = catchThrowableOfType(ApiError.class,
        () -> open.checkSource(headers("Host", "gateway.example.com:9900", "Origin", "http://evil.example"), LOCAL));
    assertThat(foreign.reason()).isEqualTo("origin");
    open.checkSource(headers("Host", "gateway.example.com:9900", "Origin", "http://gateway.example.com:9900"), LOCAL);

    BrowserGuard named = new BrowserGuard(new AdminAccess(List.of("gateway.example.com"), List.of()), false);
    named.checkSource(headers("Host", "gateway.example.com:9900"), LOCAL);
    named.checkSource(headers("Host", "10.1.2.3:9900"), LOCAL);
    ApiError rebound = catchThrowableOfType(ApiError.class,
        () -> named.checkSource(headers("Host", "rebind.attacker.example:9900"), LOCAL));
    assertThat(rebound.status().code()).isEqualTo(403);
    assertThat(rebound.reason()).isEqualTo("host");
    assertThat(rebound.getMessage()).isEqualTo("Host 'rebind.attacker.example:9900' is not a name of this admin API (accepted:"
        + " localhost, 127.0.0.1, [::1], 10.1.2.3, gateway.example.com); a web page can reach a local admin API under its"
        + " own name through DNS rebinding. To allow the name, start sluice serve with --admin-allowed-hosts rebind.attacker.example");
  }

  @Test
  void onlyPostPutAndPatchNeedAJsonOrYamlBody() {
    BrowserGuard guard = new BrowserGuard(AdminAccess.DEFAULT, true);
    for (String type : List.of("application/json", "Application/JSON; charset=utf-8", "application/yaml", "application/x-yaml", "text/yaml")) {
      guard.checkContentType(io.netty.handler.codec.http.HttpMethod.POST, "/api/v1/apply", headers("Content-Type", type));
    }
    guard.checkContentType(io.netty.handler.codec.http.HttpMethod.DELETE, "/api/v1/routes/a", headers());
    guard.checkContentType(io.netty.handler.codec.http.HttpMethod.GET, "/api/v1/routes", headers("Content-Type", "text/plain"));
    ApiError twice = catchThrowableOfType(ApiError.class, () -> guard.checkContentType(io.netty.handler.codec.http.HttpMethod.PATCH,
        "/api/v1/routes/a", headers("Content-Type", "application/json", "Content-Type", "text/plain")));
    assertThat(twice.reason()).isEqualTo("content_type");
    assertThat(twice.getMessage()).startsWith("PATCH /api/v1/routes/a needs Content-Type: application/json or application/yaml"
        + " (with a body in that format), got 'application/json, text/plain'.");
  }
}
