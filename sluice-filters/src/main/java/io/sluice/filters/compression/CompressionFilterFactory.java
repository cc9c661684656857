package io.sluice.filters.compression;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filter.Attribute;
import io.sluice.filter.Body;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Headers;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code compression}: compresses response bodies with brotli, zstd or gzip, chosen by the client's
 * Accept-Encoding q-values (ties broken by {@code algorithms}, the server's preference order).
 *
 * <pre>{@code
 * - kind: compression
 *   config: {algorithms: [br, gzip], minSize: 1KiB, maxSize: 1MiB, contentTypes: [text/, application/json]}
 * }</pre>
 *
 * <p>The body is buffered ({@link Filter#bufferResponseBody()}) up to {@code maxSize}: a bigger
 * body is sent uncompressed, as it streams. Left as they are: bodies under {@code minSize}, HEAD
 * requests, 204/304/206 responses, responses that already have a Content-Encoding or say
 * {@code Cache-Control: no-transform}, Content-Types not matching a {@code contentTypes} prefix, and
 * bodies that would not get smaller. A compressed response gets Content-Encoding, a weak ETag (an
 * ETag names the bytes) and {@code Vary: Accept-Encoding}; so does an uncompressed one that could
 * have been (so that caches keep the variants apart). A coding whose native library does not load
 * on this machine is skipped (logged once at startup).
 */
public final class CompressionFilterFactory implements FilterFactory<CompressionConfig> {
  @Override
  public String kind() {
    return "compression";
  }

  @Override
  public Class<CompressionConfig> configType() {
    return CompressionConfig.class;
  }

  @Override
  public void validate(CompressionConfig c, Problems problems) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < c.algorithms().size(); i++) {
      String a = c.algorithms().get(i);
      if (a == null || !Encoders.KNOWN.contains(a)) {
        problems.add("algorithms[" + i + "]", "unknown algorithm '" + a + "'; expected one of br, zstd, gzip");
      } else if (!seen.add(a)) {
        problems.add("algorithms[" + i + "]", "'" + a + "' is listed twice");
      }
    }
    if (c.algorithms().isEmpty()) problems.add("algorithms", "empty; expected at least one of br, zstd, gzip");
    for (int i = 0; i < c.contentTypes().size(); i++) {
      String t = c.contentTypes().get(i);
      if (t == null || t.isBlank()) problems.add("contentTypes[" + i + "]", "empty; expected a Content-Type prefix such as text/");
    }
    if (c.maxSize() != null && c.maxSize().bytes() == 0) problems.add("maxSize", "must be greater than 0");
    if (c.maxSize() != null && c.maxSize().bytes() > Integer.MAX_VALUE - 8) problems.add("maxSize", "must be below 2GiB");
    if (c.minBytes() > c.maxBytes()) {
      problems.add(c.minSize() != null ? "minSize" : "maxSize", "minSize (" + c.minBytes() + " bytes) is larger than maxSize ("
          + c.maxBytes() + " bytes); nothing would be compressed");
    }
  }

  @Override
  public Filter create(CompressionConfig c, FilterEnvironment env) {
    List<String> offered = c.algorithms().stream().filter(Encoders::available).toList();
    List<String> types = c.contentTypes().stream().map(t -> t.toLowerCase(Locale.ROOT)).toList();
    long min = c.minBytes();
    long max = c.maxBytes();
    Attribute<String> coding = env.shared("coding", () -> Attribute.of("compression.coding"));
    return new Filter() {
      @Override
      public long bufferResponseBody() {
        return max;
      }

      @Override
      public FilterResult onRequest(Exchange x) {
        String picked = AcceptEncoding.pick(x.request().headers().get("Accept-Encoding"), offered);
        if (picked != null) x.setAttribute(coding, picked);
        return FilterResult.CONTINUE;
      }

      @Override
      public void onResponseBody(Exchange x) {
        int status = x.response().status();
        Headers h = x.response().headers();
        if (status == 206 || h.contains("Content-Encoding") || noTransform(h) || !compressible(h.get("Content-Type"))) return;
        // onResponseBody runs only with the body buffered
        Body body = Objects.requireNonNull(x.response().body());
        if (body.length() < min) return;
        addVary(h);
        String chosen = x.attribute(coding);
        if (chosen == null) return;
        byte[] encoded = Encoders.encode(chosen, body.toByteArray());
        if (encoded.length >= body.length()) return;
        x.response().setBody(encoded);
        h.set("Content-Encoding", chosen);
        String etag = h.get("ETag");
        if (etag != null && etag.startsWith("\"")) h.set("ETag", "W/" + etag);
      }

      private boolean compressible(@Nullable String contentType) {
        if (contentType == null) return false;
        String t = contentType.strip().toLowerCase(Locale.ROOT);
        for (String prefix : types) {
          if (t.startsWith(prefix)) return true;
        }
        return false;
      }
    };
  }

  private static boolean noTransform(Headers h) {
    for (String v : h.getAll("Cache-Control")) {
      if (v.toLowerCase(Locale.ROOT).contains("no-transform")) return true;
    }
    return false;
  }

  private static void addVary(Headers h) {
    List<String> vary = h.getAll("Vary");
    for (String v : vary) {
      for (String token : v.split(",")) {
        String t = token.strip();
        if (t.equals("*") || t.equalsIgnoreCase("Accept-Encoding")) return;
      }
    }
    h.add("Vary", "Accept-Encoding");
  }
}
