package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A server killed with SIGKILL in the middle of a stream of applies loses no acknowledged revision
 * and leaves no change set half applied.
 */
class DurabilityTest {
  private static final int ACKS_BEFORE_KILL = 150;

  private static String pair(int n) {
    String route = """
        {"apiVersion":"sluice.io/v1","kind":"Route","metadata":{"name":"%s"},
         "spec":{"match":{"path":{"exact":"/%s"}},"directResponse":{"status":200,"body":"%d"}}}""";
    return "[" + route.formatted("pair-a", "pair-a", n) + "," + route.formatted("pair-b", "pair-b", n) + "]";
  }

  @Test
  void everyAcknowledgedRevisionSurvivesSigkillAndNoChangeSetIsHalfApplied() throws Exception {
    try (ControlPlane cp = ControlPlane.start()) {
      // revision -> the n it set both routes to, for every apply the server acknowledged
      Map<Long, Integer> acked = new java.util.concurrent.ConcurrentSkipListMap<>();
      List<String> failures = new CopyOnWriteArrayList<>();
      AtomicReference<Throwable> unexpected = new AtomicReference<>();
      Thread writer = Thread.ofPlatform().name("applies").start(() -> {
        for (int n = 1; ; n++) {
          try {
            HttpResponse<String> r = cp.send("POST", "/api/v1/apply?message=n%3D" + n, pair(n), null);
            if (r.statusCode() != 200) {
              unexpected.set(new AssertionError("apply " + n + " answered " + r.statusCode() + ": " + r.body()));
              return;
            }
            acked.put(ControlPlane.JSON.readTree(r.body()).path("revision").asLong(), n);
          } catch (Exception e) {
            // The server is gone: the apply in flight may or may not have been written.
            failures.add(e.toString());
            return;
          }
        }
      });
      await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= ACKS_BEFORE_KILL || !writer.isAlive());
      cp.kill();
      writer.join(Duration.ofSeconds(30));
      assertThat(unexpected.get()).isNull();
      assertThat(failures).as("the writer stopped because the server died").hasSize(1);
      assertThat(acked.size()).isGreaterThanOrEqualTo(ACKS_BEFORE_KILL);

      cp.restart();

      // The revision log: contiguous from 1, every acknowledged revision in it, each touching both routes.
      Map<Long, JsonNode> log = new TreeMap<>();
      long after = 0;
      while (true) {
        JsonNode page = cp.get("/api/v1/revisions?after=" + after + "&limit=100").path("items");
        if (page.isEmpty()) break;
        for (JsonNode item : page) {
          log.put(item.path("revision").asLong(), item);
          after = item.path("revision").asLong();
        }
      }
      assertThat(log.keySet()).containsAll(acked.keySet());
      List<Long> expected = new ArrayList<>();
      for (long r = 1; r <= after; r++) expected.add(r);
      assertThat(List.copyOf(log.keySet())).isEqualTo(expected);
      for (JsonNode item : log.values()) {
        assertThat(item.path("objects").toString()).as("revision %s", item.path("revision")).isEqualTo("[\"Route/pair-a\",\"Route/pair-b\"]");
        String message = item.path("message").asText();
        Integer n = acked.get(item.path("revision").asLong());
        if (n != null) assertThat(message).isEqualTo("n=" + n);
      }
      // At most the one apply in flight at the kill may have made it in without an acknowledgement.
      assertThat(log.size() - acked.size()).isBetween(0, 1);

      // Both routes' histories have exactly the same revisions, with the same n in each.
      List<JsonNode> a = items(cp.get("/api/v1/routes/pair-a/history"));
      List<JsonNode> b = items(cp.get("/api/v1/routes/pair-b/history"));
      assertThat(a).hasSameSizeAs(log.keySet());
      assertThat(b).hasSameSizeAs(log.keySet());
      for (int i = 0; i < a.size(); i++) {
        long revision = a.get(i).path("revision").asLong();
        assertThat(b.get(i).path("revision").asLong()).isEqualTo(revision);
        String bodyA = a.get(i).path("object").path("spec").path("directResponse").path("body").asText();
        String bodyB = b.get(i).path("object").path("spec").path("directResponse").path("body").asText();
        assertThat(bodyB).as("revision %d", revision).isEqualTo(bodyA);
        Integer n = acked.get(revision);
        if (n != null) assertThat(bodyA).isEqualTo(Integer.toString(n));
      }
      // The current objects are the last revision's, both at it.
      JsonNode pairA = cp.get("/api/v1/routes/pair-a");
      JsonNode pairB = cp.get("/api/v1/routes/pair-b");
      assertThat(pairA.path("metadata").path("revision").asLong()).isEqualTo(after);
      assertThat(pairB.path("metadata").path("revision").asLong()).isEqualTo(after);
      assertThat(pairB.path("spec").path("directResponse").path("body").asText())
          .isEqualTo(pairA.path("spec").path("directResponse").path("body").asText());
      assertThat(cp.get("/api/v1/status").path("appliedRevision").asLong()).isEqualTo(after);
    }
  }

  private static List<JsonNode> items(JsonNode list) {
    List<JsonNode> out = new ArrayList<>();
    list.path("items").forEach(out::add);
    return out;
  }
}
