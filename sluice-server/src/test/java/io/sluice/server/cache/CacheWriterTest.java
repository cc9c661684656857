package io.sluice.server.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheWriterTest {
  private static final String STORE = "etcd://127.0.0.1:2379/sluice/test";

  private static List<ConfigObject<?>> route(long revision, String body) throws Exception {
    return ObjectCodec.readYaml("test.yaml", """
        apiVersion: sluice.io/v1
        kind: Route
        metadata: {name: hello, revision: %d}
        spec: {match: {path: {prefix: /}}, directResponse: {status: 200, body: %s}}
        """.formatted(revision, body));
  }

  @Test
  void aBurstOfRevisionsEndsOnDiskAtItsLatestStateAndCloseWritesWhatIsPending(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    CacheWriter writer = new CacheWriter(cache);
    for (long r = 1; r <= 200; r++) writer.offer(r, route(r, "v" + r));
    writer.close();
    assertThat(writer.written()).isEqualTo(200);
    LastApplied.Cached read = cache.read();
    assertThat(read).isNotNull();
    assertThat(read.revision()).isEqualTo(200);
    assertThat(read.objects()).extracting(ObjectCodec::toJson).containsExactly(ObjectCodec.toJson(route(200, "v200").getFirst()));
    // Closed: later offers write nothing.
    writer.offer(201, route(201, "v201"));
    assertThat(cache.read().revision()).isEqualTo(200);
  }

  @Test
  void aWriteThatFailsLeavesThePreviousFileAndTheNextRevisionIsWrittenOnceTheDiskTakesIt(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    LastApplied cache = new LastApplied(data, STORE);
    try (CacheWriter writer = new CacheWriter(cache)) {
      writer.offer(1, route(1, "one"));
      await().atMost(Duration.ofSeconds(10)).until(() -> writer.written() == 1);
      // The file's place taken by a directory: the rename fails, the previous content stays readable elsewhere.
      Files.delete(cache.file());
      Files.createDirectory(cache.file());
      writer.offer(2, route(2, "two"));
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> writer.written() == 1);
      Files.delete(cache.file());
      writer.offer(3, route(3, "three"));
      await().atMost(Duration.ofSeconds(10)).until(() -> writer.written() == 3);
      assertThat(cache.read().revision()).isEqualTo(3);
    }
  }
}
