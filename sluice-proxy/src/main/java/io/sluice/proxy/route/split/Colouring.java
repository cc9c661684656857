package io.sluice.proxy.route.split;

import io.sluice.api.route.Colour;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A route's traffic colour compiled once: the header name (lower case, for lookups), its value,
 * and the whole header field pre-encoded as it is sent upstream. Immutable.
 *
 * @param lowerCaseName the header name, lower case
 * @param value the colour
 * @param line {@code Name: value\r\n} in ISO-8859-1, the name as configured
 */
public record Colouring(String lowerCaseName, String value, byte[] line) {
  /** Compiles a validated {@link Colour}. */
  public static Colouring of(Colour c) {
    return new Colouring(c.header().toLowerCase(Locale.ROOT), c.value(),
        (c.header() + ": " + c.value() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
  }
}
