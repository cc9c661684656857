package io.sluice.server.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ConfigObject;
import io.sluice.api.codec.ObjectCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The last-known-good file: what is written is read back whole, owner-only; anything damaged is refused. */
class LastAppliedTest {
  private static final String STORE = "etcd://127.0.0.1:2379/sluice/prod";

  private static List<ConfigObject<?>> objects() throws Exception {
    return ObjectCodec.readYaml("test.yaml", """
        apiVersion: sluice.io/v1
        kind: Listener
        metadata: {name: main, revision: 7}
        spec: {address: 127.0.0.1:8080}
        ---
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: alice, revision: 3}
        spec:
          keyAuth: {key: s3cret-key}
        """);
  }

  @Test
  void writtenConfigurationIsReadBackWithItsRevisionTimeAndObjects(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    Instant written = cache.write(9, objects());
    LastApplied.Cached read = cache.read();
    assertThat(read).isNotNull();
    assertThat(read.revision()).isEqualTo(9);
    assertThat(read.writtenAt()).isEqualTo(written);
    assertThat(read.store()).isEqualTo(STORE);
    assertThat(read.objects()).extracting(ObjectCodec::toJson).containsExactlyElementsOf(objects().stream().map(ObjectCodec::toJson).toList());
    // Replaced, not appended; no temporary file left beside it.
    cache.write(10, objects().subList(0, 1));
    assertThat(cache.read().revision()).isEqualTo(10);
    assertThat(cache.read().objects()).hasSize(1);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly(LastApplied.FILE_NAME);
    }
  }

  @Test
  void aLaterWriteKeepsTheUnchangedObjectsAndHasTheNewVersionOfAChangedOneWhetherOrNotItIsTheSameInstance(@TempDir Path dir)
      throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    List<ConfigObject<?>> first = objects();
    cache.write(9, first);
    // The next set as a store sync derives it: the listener is the same instance, the consumer a new version.
    ConfigObject<?> rotated = ObjectCodec.readYaml("test.yaml", """
        apiVersion: sluice.io/v1
        kind: Consumer
        metadata: {name: alice, revision: 10}
        spec:
          keyAuth: {key: rotated-key}
        """).getFirst();
    cache.write(10, List.of(first.get(0), rotated));
    LastApplied.Cached read = cache.read();
    assertThat(read.revision()).isEqualTo(10);
    assertThat(read.objects()).extracting(ObjectCodec::toJson)
        .containsExactly(ObjectCodec.toJson(first.get(0)), ObjectCodec.toJson(rotated));
    // An object dropped from the set is dropped from the file, and one that comes back is written as it is now.
    cache.write(11, List.of(rotated));
    assertThat(cache.read().objects()).extracting(ObjectCodec::toJson).containsExactly(ObjectCodec.toJson(rotated));
    cache.write(12, objects());
    assertThat(cache.read().objects()).extracting(ObjectCodec::toJson)
        .containsExactlyElementsOf(objects().stream().map(ObjectCodec::toJson).toList());
    // The file is the one format: a fresh reader (a restarted node) takes it.
    assertThat(new LastApplied(dir, STORE).read().revision()).isEqualTo(12);
  }

  @Test
  void theFileIsReadableByItsOwnerOnlyBecauseItHoldsCredentials(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    cache.write(1, objects());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache.file()))).isEqualTo("rw-------");
    assertThat(Files.readString(cache.file())).contains("s3cret-key");
  }

  @Test
  void aDataDirectoryThatDoesNotExistYetIsCreatedOwnerOnly(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    new LastApplied(data, STORE).write(1, objects());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
  }

  @Test
  void noFileReadsAsNoCache(@TempDir Path dir) throws Exception {
    assertThat(new LastApplied(dir, STORE).read()).isNull();
  }

  @Test
  void aFlippedByteFailsTheChecksumAndIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    cache.write(4, objects());
    byte[] bytes = Files.readAllBytes(cache.file());
    String text = new String(bytes, StandardCharsets.UTF_8);
    int at = text.indexOf("s3cret-key");
    bytes[at] = (byte) (bytes[at] ^ 0x01); // 's' becomes 'r': still JSON, not the content that was summed
    Files.write(cache.file(), bytes);
    assertThatThrownBy(cache::read).isInstanceOf(LastApplied.Unusable.class)
        .hasMessageStartingWith(cache.file() + " fails its checksum (the content's CRC-32C is ")
        .hasMessageEndingWith("): it was damaged or edited");
  }

  @Test
  void aTornFileIsRefusedNamingItsLength(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    cache.write(4, objects());
    byte[] bytes = Files.readAllBytes(cache.file());
    int header = new String(bytes, StandardCharsets.UTF_8).indexOf('\n') + 1;
    int content = bytes.length - header;
    Files.write(cache.file(), java.util.Arrays.copyOf(bytes, header + content / 2)); // a torn write
    assertThatThrownBy(cache::read).isInstanceOf(LastApplied.Unusable.class)
        .hasMessage(cache.file() + " is torn: its content has " + content / 2 + " bytes, its header says " + content);
  }

  @Test
  void aFileThatIsNotJsonIsRefused(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    Files.writeString(cache.file(), "{\"format\": 2, \"crc32c\n");
    assertThatThrownBy(cache::read).isInstanceOf(LastApplied.Unusable.class)
        .hasMessageStartingWith(cache.file() + " is not JSON: ");
  }

  @Test
  void theFileIsAHeaderLineAndTheContentWithItsLengthAndCrc32c(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    cache.write(4, objects());
    byte[] bytes = Files.readAllBytes(cache.file());
    String text = new String(bytes, StandardCharsets.UTF_8);
    int newline = text.indexOf('\n');
    byte[] content = java.util.Arrays.copyOfRange(bytes, newline + 1, bytes.length);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(content);
    assertThat(text.substring(0, newline)).isEqualTo("{\"format\":2,\"crc32c\":\"" + java.util.HexFormat.of().toHexDigits((int) crc.getValue())
        + "\",\"bytes\":" + content.length + "}");
    assertThat(new String(content, StandardCharsets.UTF_8)).startsWith("{\"revision\":4,\"writtenAt\":\"");
  }

  @Test
  void aCacheThePreviousVersionWroteIsStillRead(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    String content = "{\"revision\":2,\"writtenAt\":\"2026-01-01T00:00:00Z\",\"store\":\"" + STORE + "\",\"objects\":["
        + ObjectCodec.toJson(objects().get(0)) + "]}";
    String sum = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(content.getBytes(StandardCharsets.UTF_8)));
    Files.writeString(cache.file(), new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("format", 1)
        .put("sha256", sum).put("content", content).toString());
    LastApplied.Cached read = cache.read();
    assertThat(read.revision()).isEqualTo(2);
    assertThat(read.objects()).extracting(ObjectCodec::toJson).containsExactly(ObjectCodec.toJson(objects().get(0)));
  }

  @Test
  void aCacheOfAnotherStoreIsRefused(@TempDir Path dir) throws Exception {
    new LastApplied(dir, STORE).write(4, objects());
    LastApplied other = new LastApplied(dir, "etcd://127.0.0.1:2379/sluice/staging");
    assertThatThrownBy(other::read).isInstanceOf(LastApplied.Unusable.class)
        .hasMessage(other.file() + " was written for the store " + STORE + ", not etcd://127.0.0.1:2379/sluice/staging");
  }

  @Test
  void anObjectThatDoesNotParseIsRefusedEvenWithAMatchingChecksum(@TempDir Path dir) throws Exception {
    LastApplied cache = new LastApplied(dir, STORE);
    String content = "{\"revision\":2,\"writtenAt\":\"2026-01-01T00:00:00Z\",\"store\":\"" + STORE
        + "\",\"objects\":[{\"apiVersion\":\"sluice.io/v1\",\"kind\":\"Nonsense\",\"metadata\":{\"name\":\"x\"},\"spec\":{}}]}";
    String sum = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(content.getBytes(StandardCharsets.UTF_8)));
    Files.writeString(cache.file(), new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("format", 1)
        .put("sha256", sum).put("content", content).toString());
    assertThatThrownBy(cache::read).isInstanceOf(LastApplied.Unusable.class)
        .hasMessageStartingWith(cache.file() + ": objects[0] does not parse: ");
  }
}
