package io.sluice.server.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.sluice.admin.WebhookDelivery;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * This node's webhook dead letters, kept across restarts in one small JSON file in the data
 * directory ({@value #NAME}). A file, not the configuration store: dead letters belong to the node
 * that failed to send them (the store may be a fleet's etcd, shared by every node), they are not
 * configuration and have no revisions, and there are at most {@link WebhookNotifier}'s bound of
 * them, so the whole list is written each time one comes or goes (rare: after every retry failed,
 * or after a redelivery), to a temporary file moved over the old one, so a crash leaves either.
 *
 * <p>Threading: called on the notifier's one scheduler thread only.
 */
final class DeadLetterFile {
  static final String NAME = "webhook-dead-letters.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;

  DeadLetterFile(Path dataDir) {
    this.file = Objects.requireNonNull(dataDir, "dataDir").resolve(NAME);
  }

  Path path() {
    return file;
  }

  /**
   * The dead letters saved last, oldest first; none when the file does not exist.
   *
   * @throws IOException when it cannot be read or is not what {@link #save} writes, naming the file
   */
  List<WebhookDelivery> load() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    List<WebhookDelivery> out = new ArrayList<>();
    try {
      JsonNode root = JSON.readTree(bytes);
      if (root == null || !root.isArray()) throw new IOException("expected a JSON array of dead letters");
      for (JsonNode n : root) {
        out.add(new WebhookDelivery(text(n, "id"), text(n, "webhook"), text(n, "event"), "failed", n.path("attempts").asInt(),
            n.path("lastStatus").asInt(), n.path("lastError").isTextual() ? n.path("lastError").asText() : null,
            Instant.parse(text(n, "time")), text(n, "payload")));
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + ": not a dead-letter file sluice wrote: " + e.getMessage(), e);
    }
    return out;
  }

  /** Replaces the file's dead letters with {@code dead}. */
  void save(List<WebhookDelivery> dead) {
    ArrayNode root = JSON.createArrayNode();
    for (WebhookDelivery d : dead) {
      root.addObject().put("id", d.id()).put("webhook", d.webhook()).put("event", d.event()).put("attempts", d.attempts())
          .put("lastStatus", d.lastStatus()).put("lastError", d.lastError()).put("time", d.time().toString())
          .put("payload", d.payload());
    }
    Path tmp = file.resolveSibling(NAME + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      Files.write(tmp, JSON.writeValueAsBytes(root));
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the webhook dead letters to " + file, e);
    }
  }

  private static String text(JsonNode n, String field) throws IOException {
    JsonNode v = n.path(field);
    if (!v.isTextual()) throw new IOException("a dead letter without its " + field + ": " + n);
    return v.asText();
  }
}
