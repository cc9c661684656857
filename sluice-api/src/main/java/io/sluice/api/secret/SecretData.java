package io.sluice.api.secret;

import io.sluice.api.ByteSize;
import java.util.Base64;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The keyed data of a Secret ({@link SecretSpec#data()}): its bounds, its check and its decoding,
 * so that validation and the filters that read a key agree on what a value means. Stateless and
 * thread-safe.
 *
 * <p>A value is base64 (RFC 4648, the standard alphabet, padded); whitespace in it (the line breaks
 * {@code base64} writes every 76 characters, a YAML block scalar's) is ignored, any other character
 * outside the alphabet is an error.
 */
public final class SecretData {
  /** The most keys one Secret holds. */
  public static final int MAX_KEYS = 64;
  /** The longest key, as in Kubernetes. */
  public static final int MAX_KEY_LENGTH = 253;
  /**
   * The most bytes all of one Secret's values decode to together (one key may use all of it). A
   * proxy-wasm module is tens of KiB (AssemblyScript) to a few MiB (Rust, TinyGo); 8 MiB holds the
   * largest of those, and its base64 (4/3 of it, about 10.7 MiB) still fits the admin API's 16 MiB
   * request body with the rest of the object. Every version of the configuration holds its Secrets
   * in memory and the store keeps them in its history, so the bound is also what one Secret can cost
   * there.
   */
  public static final ByteSize MAX_TOTAL = ByteSize.ofMiB(8);

  private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]+");
  private static final Pattern WHITESPACE = Pattern.compile("[ \\t\\r\\n]");

  private SecretData() {}

  /**
   * Reports each problem of {@code spec.data}: too many keys, a key that is not
   * {@code [-._a-zA-Z0-9]+} (nor {@code .} or {@code ..}), a value that is missing or not base64, or
   * values that decode to more than {@link #MAX_TOTAL} together.
   *
   * @param problems receives the field ({@code spec.data.plugin.wasm}) and what is wrong with it
   */
  public static void check(SecretSpec spec, BiConsumer<String, String> problems) {
    Map<String, String> data = spec.data();
    if (data.size() > MAX_KEYS) {
      problems.accept("spec.data", data.size() + " keys; expected at most " + MAX_KEYS);
      return;
    }
    long total = 0;
    for (Map.Entry<String, String> e : data.entrySet()) {
      String key = e.getKey();
      String field = "spec.data." + key;
      if (key.length() > MAX_KEY_LENGTH || !KEY.matcher(key).matches() || key.equals(".") || key.equals("..")) {
        problems.accept(field, "invalid key '" + shorten(key) + "'; expected letters, digits, '-', '_' and '.' (not '.' or '..'), at most "
            + MAX_KEY_LENGTH + " characters, as a Kubernetes Secret's keys");
        continue;
      }
      String value = e.getValue();
      if (value == null) {
        problems.accept(field, "missing; expected the value's bytes in base64");
        continue;
      }
      // Redaction.REDACTED, which Bounds reports as a viewer's export applied again (not named: codec is not this package's to use).
      if (value.equals("<redacted>")) continue;
      if (value.length() > 2 * ((MAX_TOTAL.bytes() + 2) / 3 * 4)) {
        // Not decoded: even with a line break every few characters it is too big.
        problems.accept(field, value.length() + " characters of base64; expected at most " + MAX_TOTAL + " of data in one Secret");
        return;
      }
      try {
        total += decode(value).length;
      } catch (IllegalArgumentException x) {
        problems.accept(field, "not base64 (" + x.getMessage() + "); expected the value's bytes in base64 (RFC 4648), as 'base64 FILE' prints them");
        continue;
      }
      if (total > MAX_TOTAL.bytes()) {
        problems.accept(field, "the values decode to more than " + MAX_TOTAL + " up to this key; expected at most " + MAX_TOTAL
            + " in one Secret");
        return;
      }
    }
  }

  /**
   * The bytes of {@code key}, or null when the Secret has no such key.
   *
   * @throws IllegalArgumentException when the value is not base64 (validation refuses such a Secret)
   */
  public static byte @Nullable [] bytes(SecretSpec spec, String key) {
    String value = spec.data().get(key);
    return value == null ? null : decode(value);
  }

  /** Decodes one value: whitespace ignored, otherwise strict base64. */
  private static byte[] decode(String value) {
    String compact = value.indexOf(' ') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0 && value.indexOf('\t') < 0
        ? value : WHITESPACE.matcher(value).replaceAll("");
    return Base64.getDecoder().decode(compact);
  }

  private static String shorten(String key) {
    return key.length() <= 64 ? key : key.substring(0, 64) + "...";
  }
}
