package io.sluice.filters.compression;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The content codings the {@code compression} filter can produce. Brotli and zstd are native
 * libraries: each is probed once, when this class is first used (the filter factory's creation at
 * startup); one that does not load on this machine is left out with a log line and the others work.
 * Thread-safe: the encoders keep no state between calls.
 */
final class Encoders {
  private static final Logger log = LoggerFactory.getLogger(Encoders.class);
  /** The codings this filter knows, whether or not they load here. */
  static final List<String> KNOWN = List.of("br", "zstd", "gzip");
  private static final boolean BROTLI = probe("br", () -> {
    Brotli4jLoader.ensureAvailability();
    Encoder.compress(new byte[] {1});
  });
  private static final boolean ZSTD = probe("zstd", () -> Zstd.compress(new byte[] {1}, 3));
  private static final Encoder.Parameters BROTLI_PARAMS = new Encoder.Parameters().setQuality(5);

  private Encoders() {}

  private interface Check {
    void run() throws Exception;
  }

  private static boolean probe(String name, Check check) {
    try {
      check.run();
      return true;
    } catch (Throwable e) {
      log.warn("compression: {} is not available on this machine ({}); responses are not compressed with it", name, e.toString());
      return false;
    }
  }

  /** Whether {@code coding} loads on this machine. */
  static boolean available(String coding) {
    return switch (coding) {
      case "br" -> BROTLI;
      case "zstd" -> ZSTD;
      case "gzip" -> true;
      default -> false;
    };
  }

  /** {@code body} encoded with {@code coding} (one of the available ones). */
  static byte[] encode(String coding, byte[] body) {
    try {
      return switch (coding) {
        case "br" -> Encoder.compress(body, BROTLI_PARAMS);
        case "zstd" -> Zstd.compress(body, 3);
        case "gzip" -> gzip(body);
        default -> throw new IllegalArgumentException("unknown coding " + coding);
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] gzip(byte[] body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length / 3));
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
      gz.write(body);
    }
    return out.toByteArray();
  }
}
