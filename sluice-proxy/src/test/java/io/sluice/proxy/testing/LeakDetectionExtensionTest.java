package io.sluice.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak check must be able to fail, or "no leak reported" means nothing. */
class LeakDetectionExtensionTest {
  @Test
  void reportsABufferThatWasNeverReleased() throws Exception {
    leakOne();
    List<String> leaks = List.of();
    for (int i = 0; i < 20 && leaks.isEmpty(); i++) {
      leaks = LeakDetectionExtension.collectLeaks();
    }
    assertThat(leaks).isNotEmpty();
    assertThat(leaks.get(0)).startsWith("LEAK: ByteBuf");
  }

  private static void leakOne() {
    ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
    leaked.writeLong(42);
    // dropped without release()
  }
}
