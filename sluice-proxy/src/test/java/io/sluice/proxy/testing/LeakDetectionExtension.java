package io.sluice.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a buffer leak during it. Registered for every test through
 * {@code META-INF/services} (JUnit extension auto-detection), with leak detection at paranoid level,
 * so every buffer is tracked. Leaks are found when the garbage collector clears a buffer that was
 * never released; after each class this forces a collection and lets the detector look.
 */
public final class LeakDetectionExtension implements AfterAllCallback {
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
      @Override
      public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
        return new Recording<>(resource, samplingInterval);
      }

      @Override
      public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
        return new Recording<>(resource, samplingInterval);
      }
    });
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    List<String> found = collectLeaks();
    if (!found.isEmpty()) {
      throw new AssertionError("Netty reported " + found.size() + " buffer leak(s) during "
          + context.getDisplayName() + ":\n" + String.join("\n\n", found));
    }
  }

  /** Forces the detector to look at collected buffers and returns (and forgets) what it reported. */
  static List<String> collectLeaks() throws InterruptedException {
    for (int round = 0; round < 3; round++) {
      System.gc();
      Thread.sleep(50);
      // The detector drains its queue of collected buffers when a tracked buffer is allocated.
      for (int i = 0; i < 64; i++) {
        ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        a.release();
        ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
        b.release();
      }
    }
    List<String> found = new ArrayList<>(LEAKS);
    LEAKS.clear();
    return found;
  }

  private static final class Recording<T> extends ResourceLeakDetector<T> {
    Recording(Class<?> type, int samplingInterval) {
      super(type, samplingInterval);
    }

    @Override
    protected boolean needReport() {
      return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      LEAKS.add("LEAK: " + resourceType + records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      LEAKS.add("LEAK: " + resourceType + " (no records)");
    }
  }
}
