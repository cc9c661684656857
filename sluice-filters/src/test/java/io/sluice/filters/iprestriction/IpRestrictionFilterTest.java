package io.sluice.filters.iprestriction;

import static io.sluice.filters.testing.Gateways.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.filters.common.Cidr;
import io.sluice.filters.testing.Configs;
import io.sluice.filters.testing.Gateways;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.RawConnection;
import io.sluice.proxy.testing.TestUpstream;
import org.junit.jupiter.api.Test;

class IpRestrictionFilterTest {
  @Test
  void allowsAListedClientAndRefusesOthersWith403() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.start(up.address(),
            Gateways.route("open", "match: {path: {prefix: /open}}\nfilters: [{kind: ip-restriction, config: {allow: [10.0.0.0/8, 127.0.0.1]}}]")
            + Gateways.route("closed", "match: {path: {prefix: /closed}}\nfilters: [{kind: ip-restriction, config: {allow: [10.0.0.0/8, \"::1\"]}}]")
            + Gateways.route("denied", "match: {path: {prefix: /denied}}\nfilters: [{kind: ip-restriction, config: {deny: [127.0.0.0/8]}}]"))) {
      assertThat(get(gw, "/open").status()).isEqualTo(200);
      assertThat(up.take().target()).isEqualTo("/open");
      for (String path : new String[] {"/closed", "/denied"}) {
        RawConnection.Response r = get(gw, path);
        assertThat(r.status()).as(path).isEqualTo(403);
        assertThat(r.header("x-sluice-reason")).isEqualTo("ip_forbidden");
        assertThat(r.body()).isEqualTo("{\"status\":403,\"reason\":\"ip_forbidden\",\"message\":\"the client address is not allowed\"}\n");
      }
      assertThat(up.received()).isEmpty();
    }
  }

  @Test
  void withTrustedHopsTheClientIsReadFromTheRightOfXForwardedFor() throws Exception {
    try (TestUpstream up = Gateways.okUpstream();
        GatewayFixture gw = Gateways.withRoute(up.address(), """
            filters:
              - kind: ip-restriction
                config: {allow: [203.0.113.0/24, "2001:db8::/32"], deny: [203.0.113.66], trustedHops: 1}
            """)) {
      assertThat(get(gw, "/", "X-Forwarded-For: 203.0.113.9").status()).isEqualTo(200);
      // the client wrote the left entry; the trusted proxy appended the right one
      assertThat(get(gw, "/", "X-Forwarded-For: 203.0.113.9, 198.51.100.1").status()).isEqualTo(403);
      assertThat(get(gw, "/", "X-Forwarded-For: 198.51.100.1, 203.0.113.9").status()).isEqualTo(200);
      assertThat(get(gw, "/", "X-Forwarded-For: 1.1.1.1", "X-Forwarded-For: 2001:db8::5").status()).isEqualTo(200);
      assertThat(get(gw, "/", "X-Forwarded-For: 203.0.113.66").status()).isEqualTo(403);
      assertThat(get(gw, "/", "X-Forwarded-For: ::ffff:203.0.113.7").status()).isEqualTo(200);
      assertThat(get(gw, "/", "X-Forwarded-For: not-an-ip").status()).isEqualTo(403);
      // no X-Forwarded-For: the connection's address, 127.0.0.1, is not allowed
      assertThat(get(gw, "/").status()).isEqualTo(403);
      assertThat(up.received()).hasSize(4);
    }
  }

  @Test
  void networksMatchIpv4AndIpv6ByPrefix() {
    assertThat(Cidr.parse("10.0.0.0/8").contains(Cidr.address("10.255.1.2"))).isTrue();
    assertThat(Cidr.parse("10.0.0.0/8").contains(Cidr.address("11.0.0.1"))).isFalse();
    assertThat(Cidr.parse("192.168.4.0/22").contains(Cidr.address("192.168.7.255"))).isTrue();
    assertThat(Cidr.parse("192.168.4.0/22").contains(Cidr.address("192.168.8.0"))).isFalse();
    assertThat(Cidr.parse("2001:db8::/32").contains(Cidr.address("2001:db8:ffff::1"))).isTrue();
    assertThat(Cidr.parse("2001:db8::/32").contains(Cidr.address("2001:db9::1"))).isFalse();
    assertThat(Cidr.parse("::1").contains(Cidr.address("[::1]"))).isTrue();
    assertThat(Cidr.parse("0.0.0.0/0").contains(Cidr.address("8.8.8.8"))).isTrue();
    assertThat(Cidr.parse("0.0.0.0/0").contains(Cidr.address("::8"))).isFalse();
    assertThat(Cidr.parse("127.0.0.1").contains(Cidr.address("::ffff:127.0.0.1"))).isTrue();
    assertThat(Cidr.address("example.com")).isNull();
  }

  @Test
  void badNetworksAreRefusedNamingTheEntry() throws Exception {
    assertThat(Configs.routeErrors("""
        - kind: ip-restriction
          config: {allow: [10.0.0.1/8, 10.0.0.0/33, bogus], deny: ["2001:db8::/129"], trustedHops: -1}
        - {kind: ip-restriction, config: {}}
        """)).containsExactly(
        "Route/r: spec.filters[0].config.allow[0]: '10.0.0.1/8' has host bits set; expected the network address 10.0.0.0/8",
        "Route/r: spec.filters[0].config.allow[1]: invalid prefix length in '10.0.0.0/33': expected 0 to 32",
        "Route/r: spec.filters[0].config.allow[2]: invalid address 'bogus': expected an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or 2001:db8::/32",
        "Route/r: spec.filters[0].config.deny[0]: invalid prefix length in '2001:db8::/129': expected 0 to 128",
        "Route/r: spec.filters[0].config.trustedHops: expected 0 to 10, got -1",
        "Route/r: spec.filters[1].config: no rules; expected allow or deny, lists of networks");
  }
}
