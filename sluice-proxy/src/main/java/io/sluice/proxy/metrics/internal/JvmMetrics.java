package io.sluice.proxy.metrics.internal;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.UnixOperatingSystemMXBean;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * JVM, process and Netty allocator metrics, read from the platform MXBeans at scrape time; GC pauses
 * are recorded as they happen from the JVM's GC notifications (on the JMX notification thread).
 */
public final class JvmMetrics implements AutoCloseable {
  private final Map<String, long[]> gcPauses = new TreeMap<>();
  private final Map<String, long[]> gcPauseSums = new TreeMap<>();
  private final List<Runnable> unregister = new ArrayList<>();

  public JvmMetrics() {
    NotificationListener listener = this::onNotification;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter e) {
        e.addNotificationListener(listener, null, null);
        unregister.add(() -> {
          try {
            e.removeNotificationListener(listener);
          } catch (ListenerNotFoundException ignored) {
            // already gone
          }
        });
      }
    }
  }

  private void onNotification(Notification n, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
    long nanos = info.getGcInfo().getDuration() * 1_000_000L;
    synchronized (gcPauses) {
      gcPauses.computeIfAbsent(info.getGcName(), k -> new long[Buckets.PROMETHEUS_COUNT])[Buckets.prometheusIndex(nanos)]++;
      gcPauseSums.computeIfAbsent(info.getGcName(), k -> new long[1])[0] += nanos;
    }
  }

  public void write(PrometheusText p) throws IOException {
    List<String> gcLabel = List.of("gc");
    p.family("jvm_gc_pause_seconds", "histogram",
        "Garbage collection pauses (for concurrent collectors: their collection cycles), by collector.");
    synchronized (gcPauses) {
      for (Map.Entry<String, long[]> e : gcPauses.entrySet()) {
        long cumulative = 0;
        long[] c = e.getValue();
        for (int i = 0; i < c.length; i++) {
          cumulative += c[i];
          p.sample("jvm_gc_pause_seconds_bucket", gcLabel, List.of(e.getKey()), cumulative, "le", PrometheusText.le(i));
        }
        p.sample("jvm_gc_pause_seconds_sum", gcLabel, List.of(e.getKey()), Objects.requireNonNull(gcPauseSums.get(e.getKey()))[0] / 1e9);
        p.sample("jvm_gc_pause_seconds_count", gcLabel, List.of(e.getKey()), cumulative);
      }
    }
    p.family("jvm_gc_collection_seconds_total", "counter", "Time spent in garbage collection, by collector (MXBean).");
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      p.sample("jvm_gc_collection_seconds_total", gcLabel, List.of(gc.getName()), Math.max(0, gc.getCollectionTime()) / 1e3);
    }
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
    List<String> area = List.of("area");
    p.family("jvm_memory_used_bytes", "gauge", "Memory used, heap and non-heap.");
    p.sample("jvm_memory_used_bytes", area, List.of("heap"), heap.getUsed());
    p.sample("jvm_memory_used_bytes", area, List.of("nonheap"), nonHeap.getUsed());
    p.family("jvm_memory_committed_bytes", "gauge", "Memory committed, heap and non-heap.");
    p.sample("jvm_memory_committed_bytes", area, List.of("heap"), heap.getCommitted());
    p.sample("jvm_memory_committed_bytes", area, List.of("nonheap"), nonHeap.getCommitted());
    p.family("jvm_memory_max_bytes", "gauge", "Memory limit, heap and non-heap (-1 when unbounded).");
    p.sample("jvm_memory_max_bytes", area, List.of("heap"), heap.getMax());
    p.sample("jvm_memory_max_bytes", area, List.of("nonheap"), nonHeap.getMax());
    List<String> pool = List.of("pool");
    List<BufferPoolMXBean> pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);
    p.family("jvm_buffer_pool_used_bytes", "gauge", "NIO buffer memory used, by pool (direct, mapped).");
    for (BufferPoolMXBean b : pools) p.sample("jvm_buffer_pool_used_bytes", pool, List.of(b.getName()), b.getMemoryUsed());
    p.family("jvm_buffer_pool_capacity_bytes", "gauge", "NIO buffer capacity, by pool.");
    for (BufferPoolMXBean b : pools) p.sample("jvm_buffer_pool_capacity_bytes", pool, List.of(b.getName()), b.getTotalCapacity());
    p.family("jvm_buffer_pool_buffers", "gauge", "NIO buffers, by pool.");
    for (BufferPoolMXBean b : pools) p.sample("jvm_buffer_pool_buffers", pool, List.of(b.getName()), b.getCount());
    ThreadMXBean t = ManagementFactory.getThreadMXBean();
    p.family("jvm_threads_current", "gauge", "Live threads.");
    p.sample("jvm_threads_current", List.of(), List.of(), t.getThreadCount());
    p.family("jvm_threads_daemon", "gauge", "Live daemon threads.");
    p.sample("jvm_threads_daemon", List.of(), List.of(), t.getDaemonThreadCount());
    p.family("jvm_threads_peak", "gauge", "Most live threads since the JVM started.");
    p.sample("jvm_threads_peak", List.of(), List.of(), t.getPeakThreadCount());

    PooledByteBufAllocatorMetric a = PooledByteBufAllocator.DEFAULT.metric();
    List<String> type = List.of("type");
    p.family("sluice_netty_allocator_used_bytes", "gauge", "Memory held by Netty's pooled allocator (arenas and caches), by type.");
    p.sample("sluice_netty_allocator_used_bytes", type, List.of("direct"), a.usedDirectMemory());
    p.sample("sluice_netty_allocator_used_bytes", type, List.of("heap"), a.usedHeapMemory());
    p.family("sluice_netty_allocator_pinned_bytes", "gauge", "Of that, memory in buffers in use now, by type.");
    p.sample("sluice_netty_allocator_pinned_bytes", type, List.of("direct"), PooledByteBufAllocator.DEFAULT.pinnedDirectMemory());
    p.sample("sluice_netty_allocator_pinned_bytes", type, List.of("heap"), PooledByteBufAllocator.DEFAULT.pinnedHeapMemory());
    p.family("sluice_netty_direct_memory_used_bytes", "gauge",
        "Direct memory Netty has reserved outside NIO's accounting (-1 when Netty does not count it).");
    p.sample("sluice_netty_direct_memory_used_bytes", List.of(), List.of(), PlatformDependent.usedDirectMemory());
    p.family("sluice_netty_direct_memory_max_bytes", "gauge", "The direct memory limit Netty observes.");
    p.sample("sluice_netty_direct_memory_max_bytes", List.of(), List.of(), PlatformDependent.maxDirectMemory());

    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean s) {
      p.family("process_cpu_seconds_total", "counter", "CPU time of the process, user and system.");
      p.sample("process_cpu_seconds_total", List.of(), List.of(), Math.max(0, s.getProcessCpuTime()) / 1e9);
    }
    if (os instanceof UnixOperatingSystemMXBean u) {
      p.family("process_open_fds", "gauge", "Open file descriptors.");
      p.sample("process_open_fds", List.of(), List.of(), u.getOpenFileDescriptorCount());
      p.family("process_max_fds", "gauge", "The file descriptor limit.");
      p.sample("process_max_fds", List.of(), List.of(), u.getMaxFileDescriptorCount());
    }
    p.family("process_start_time_seconds", "gauge", "When the process started, seconds since the epoch.");
    p.sample("process_start_time_seconds", List.of(), List.of(), ManagementFactory.getRuntimeMXBean().getStartTime() / 1e3);
  }

  @Override
  public void close() {
    unregister.forEach(Runnable::run);
  }
}
