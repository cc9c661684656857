package io.sluice.proxy.accesslog.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ByteSize;
import io.sluice.api.listener.AccessLog;
import io.sluice.api.validate.PathPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogWriterTest {

  @Test
  void sleepsWithoutWakingUpWhileNoListenerLogsAndWritesOnceOneDoes(@TempDir Path dir) throws Exception {
    try (AccessLogWriter writer = new AccessLogWriter(16).start()) {
      // No output: the writer waits without a timeout (it used to wake every 50 ms).
      await().atMost(Duration.ofSeconds(5)).until(() -> writer.writerState() == Thread.State.WAITING);

      AccessLog spec = new AccessLog(true, AccessLog.Format.TEXT, List.of("path", "status"), null,
          new AccessLog.FileOutput("access.log", ByteSize.ofMiB(1), null, 1));
      AccessLogSink sink = writer.sink(spec, PathPolicy.logDirectory(dir));
      CompiledAccessLog log = new CompiledAccessLog(AccessLogFormat.compile(spec), sink);
      assertThat(writer.offer(new AccessLogEntry(log, 0, "main", "127.0.0.1", "GET", "h", "/a", null, "HTTP/1.1", 200,
          null, 0, 0, 0, -1, null, null, null, 0, 0, null, null, null, null, -1))).isTrue();
      Path file = dir.resolve("access.log");
      await().atMost(Duration.ofSeconds(5))
          .until(() -> Files.exists(file) && Files.readAllLines(file).equals(List.of("/a 200")));
      // While an output exists it polls with a timeout (a burst waits at most 50 ms).
      await().atMost(Duration.ofSeconds(5)).until(() -> writer.writerState() == Thread.State.TIMED_WAITING);

      writer.retainOnly(Set.of());
      await().atMost(Duration.ofSeconds(5)).until(() -> writer.writerState() == Thread.State.WAITING);
    }
  }
}
