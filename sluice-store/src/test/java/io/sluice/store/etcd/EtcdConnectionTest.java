package io.sluice.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EtcdConnectionTest {
  @Test
  void parseReadsEveryMemberAndThePrefix() {
    EtcdConnection c = EtcdConnection.parse("etcd://10.0.0.1:2379,etcd-2.example:2379,[::1]:2380/sluice/prod");
    assertThat(c.endpoints()).containsExactly(URI.create("http://10.0.0.1:2379"), URI.create("http://etcd-2.example:2379"),
        URI.create("http://[::1]:2380"));
    assertThat(c.prefix()).isEqualTo("/sluice/prod");
    assertThat(c.user()).isNull();
    assertThat(c.timeout()).isEqualTo(EtcdConnection.DEFAULT_TIMEOUT);
    assertThat(c.url()).isEqualTo("etcd://10.0.0.1:2379,etcd-2.example:2379,[::1]:2380/sluice/prod");
  }

  @Test
  void caMakesEveryEndpointHttpsAndThePasswordIsNeverShown() {
    EtcdConnection c = EtcdConnection.parse("etcd://a:2379,b:2379/sluice").withCredentials("gw", "s3cret").withCa(Path.of("/etc/ca.pem"));
    assertThat(c.endpoints()).containsExactly(URI.create("https://a:2379"), URI.create("https://b:2379"));
    assertThat(c.toString()).isEqualTo("etcd://a:2379,b:2379/sluice as gw (TLS, CA /etc/ca.pem)").doesNotContain("s3cret");
  }

  @Test
  void parseRefusesWhatIsNotAnEtcdUrlNamingTheValueAndWhatWasExpected() {
    String expected = "expected etcd://host:port[,host:port...]/prefix, such as etcd://127.0.0.1:2379/sluice/prod";
    assertThatThrownBy(() -> EtcdConnection.parse("http://127.0.0.1:2379/sluice"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("'http://127.0.0.1:2379/sluice': " + expected);
    assertThatThrownBy(() -> EtcdConnection.parse("etcd://127.0.0.1:2379"))
        .hasMessage("'etcd://127.0.0.1:2379' has no prefix: " + expected);
    assertThatThrownBy(() -> EtcdConnection.parse("etcd://127.0.0.1:2379/"))
        .hasMessage("'etcd://127.0.0.1:2379/': the prefix '/' must be /segment[/segment...] of letters, digits, '.', '_' and '-' ("
            + expected + ")");
    assertThatThrownBy(() -> EtcdConnection.parse("etcd://127.0.0.1/sluice"))
        .hasMessage("'etcd://127.0.0.1/sluice': '127.0.0.1' is not host:port with a port from 1 to 65535 (" + expected + ")");
    assertThatThrownBy(() -> EtcdConnection.parse("etcd://a:2379,,b:2379/sluice"))
        .hasMessage("'etcd://a:2379,,b:2379/sluice': '' is not host:port with a port from 1 to 65535 (" + expected + ")");
    assertThatThrownBy(() -> EtcdConnection.parse("etcd://a:70000/sluice"))
        .hasMessage("'etcd://a:70000/sluice': 'a:70000' is not host:port with a port from 1 to 65535 (" + expected + ")");
  }
}
