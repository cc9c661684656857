package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.Test;

/**
 * The leak check of sluice-proxy's test jar ({@code LeakDetectionExtension}, registered through
 * {@code META-INF/services} and JUnit's extension auto-detection) runs for this module's tests too.
 */
class LeakDetectionActiveTest {

  @Test
  void theLeakDetectionExtensionIsRegisteredAndTracksEveryBuffer() {
    // The extension's class initialiser installs its recording factory; it only runs when JUnit
    // has loaded the extension for this test.
    assertThat(ResourceLeakDetectorFactory.instance().getClass().getName())
        .startsWith("io.sluice.proxy.testing.LeakDetectionExtension");
    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }
}
