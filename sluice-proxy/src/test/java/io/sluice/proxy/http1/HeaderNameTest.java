package io.sluice.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HeaderNameTest {
  @ParameterizedTest
  @CsvSource({
    "Host, 1", "HOST, 1", "content-length, 2", "Transfer-Encoding, 3", "Connection, 4", "Expect, 5",
    "X-Forwarded-For, 6", "x-forwarded-proto, 7", "X-Forwarded-Host, 8", "X-Request-ID, 9",
    "Keep-Alive, 10", "Proxy-Connection, 10", "TE, 10", "Upgrade, 10", "Proxy-Authenticate, 10",
    "Proxy-Authorization, 10", "X-Forwarded-Client-Cert, 11", "via, 12", "VIA, 12", "vic, 0", "Trailer, 0", "Content-Type, 0", "Hosts, 0", "X-Forwarded-Port, 0", "tf, 0",
  })
  void classifiesKnownNamesCaseInsensitively(String name, int code) {
    byte[] b = ("  " + name + "  ").getBytes(StandardCharsets.ISO_8859_1);
    assertThat(HeaderName.classify(b, 2, 2 + name.length())).isEqualTo(code);
  }
}
