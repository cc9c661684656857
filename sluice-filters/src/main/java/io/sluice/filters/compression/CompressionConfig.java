package io.sluice.filters.compression;

import io.sluice.api.ByteSize;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code compression} filter's config.
 *
 * @param algorithms the encodings the gateway offers, most preferred first (a client's equal
 *     q-values are broken by this order); {@code br}, {@code zstd}, {@code gzip}; default all three
 * @param minSize smaller bodies are sent as they are; default 1KiB
 * @param maxSize the most bytes of response body buffered to compress; bodies over it are sent
 *     uncompressed, as they stream; default 1MiB
 * @param contentTypes Content-Type prefixes (case-insensitive) that are compressed; default text/,
 *     application/json, application/javascript, application/xml, image/svg+xml
 */
public record CompressionConfig(
    List<String> algorithms, @Nullable ByteSize minSize, @Nullable ByteSize maxSize, List<String> contentTypes) {
  public static final List<String> DEFAULT_CONTENT_TYPES =
      List.of("text/", "application/json", "application/javascript", "application/xml", "image/svg+xml");

  public CompressionConfig {
    algorithms = algorithms == null ? List.of("br", "zstd", "gzip") : List.copyOf(algorithms);
    contentTypes = contentTypes == null ? DEFAULT_CONTENT_TYPES : List.copyOf(contentTypes);
  }

  long minBytes() {
    return minSize == null ? 1024 : minSize.bytes();
  }

  long maxBytes() {
    return maxSize == null ? 1024 * 1024 : maxSize.bytes();
  }
}
