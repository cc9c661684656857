package io.sluice.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.proxy.testing.GatewayFixture;
import io.sluice.proxy.testing.TestUpstream;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class WasmPropertiesTest {
  @Test
  void aPluginReadsTheRequestsPropertiesAndPseudoHeadersAndItsLinesGoToTheLog() throws Exception {
    Logger pluginLog = (Logger) LoggerFactory.getLogger("io.sluice.wasm.plugin");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    pluginLog.addAppender(lines);
    try (TestUpstream up = Plugins.upstream(); GatewayFixture gw = Plugins.gateway(up.address(), Plugins.filter("props", ""))) {
      assertThat(Plugins.get(gw, "/p/a?x=1").status()).isEqualTo(200);
      TestUpstream.Received got = up.take();
      assertThat(got.target()).isEqualTo("/p/a?x=1");
      assertThat(Plugins.values(got, "x-prop-path")).containsExactly("/p/a?x=1");
      assertThat(Plugins.values(got, "x-prop-pseudo-path")).containsExactly("/p/a?x=1");
      assertThat(Plugins.values(got, "x-prop-method")).containsExactly("GET");
      assertThat(Plugins.values(got, "x-prop-source")).containsExactly("127.0.0.1");
      assertThat(Plugins.values(got, "x-prop-route")).containsExactly("r");
      assertThat(Plugins.values(got, "x-prop-listener")).containsExactly("main");
      assertThat(Plugins.values(got, "x-prop-root-id")).containsExactly("props");
      assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).contains("Route/r spec.filters[0]: saw GET /p/a?x=1");
    } finally {
      pluginLog.detachAppender(lines);
    }
  }
}
