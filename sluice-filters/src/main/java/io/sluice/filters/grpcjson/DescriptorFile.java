package io.sluice.filters.grpcjson;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Reads a {@code descriptorSetFile} the way docs/security.md "Paths" requires of a file a config
 * names outside the operator's directories (as the {@code wasm} filter's module): a regular file
 * (not a link, FIFO or device) of at most {@link #MAX_BYTES}, whose SHA-256 must be the one the
 * config gives, so a configuration change makes the gateway use only a file whose content its
 * author already knows. Errors name the path and the hashes, never the file's bytes.
 */
final class DescriptorFile {
  static final long MAX_BYTES = 16L * 1024 * 1024;

  private DescriptorFile() {}

  /** Whether {@code s} is a SHA-256 as 64 hex digits. */
  static boolean isSha256(String s) {
    return s.length() == 64 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0);
  }

  /**
   * The file's bytes, when it is a regular file of at most {@link #MAX_BYTES} whose SHA-256 is
   * {@code sha256}.
   *
   * @throws IOException naming the problem (unreadable, not a regular file, too big, another hash)
   */
  static byte[] read(String file, String sha256) throws IOException {
    Path path;
    try {
      path = Path.of(file);
    } catch (InvalidPathException e) {
      throw new IOException("'" + file + "' is not a valid path: " + e.getMessage(), e);
    }
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new IOException("cannot read '" + file + "' (" + e.getClass().getSimpleName()
          + "); expected a FileDescriptorSet file (protoc --descriptor_set_out --include_imports)", e);
    }
    if (!a.isRegularFile()) throw new IOException("'" + file + "' is not a regular file (links, FIFOs and devices are refused)");
    if (a.size() > MAX_BYTES) throw new IOException("'" + file + "' has " + a.size() + " bytes; at most " + MAX_BYTES + " are read");
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes((int) MAX_BYTES + 1);
    }
    if (bytes.length > MAX_BYTES) throw new IOException("'" + file + "' grew over " + MAX_BYTES + " bytes");
    String found;
    try {
      found = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    if (!found.equals(sha256.toLowerCase(Locale.ROOT))) {
      throw new IOException("'" + file + "' has SHA-256 " + found + ", expected descriptorSetSha256 " + sha256);
    }
    return bytes;
  }
}
