package io.sluice.api.codec;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import java.io.IOException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators write them: {@code 250ms}, {@code 5s}, {@code 1m}, {@code 2h},
 * {@code 1d}, combinations such as {@code 1m30s}, or ISO-8601 ({@code PT5S}). A bare number is
 * refused: {@code timeout: 5} is ambiguous (seconds? milliseconds?), so it must carry a unit.
 */
public final class Durations {
  static final String EXPECTED = "a duration such as 250ms, 5s or 1m";

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern WHOLE = Pattern.compile("(\\d+(ms|s|m|h|d))+");

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @throws IllegalArgumentException naming the text and the expected forms
   */
  public static Duration parse(String text) {
    String t = text.trim();
    try {
      if (t.startsWith("P") || t.startsWith("p") || t.startsWith("-P") || t.startsWith("-p")) {
        return Duration.parse(t);
      }
      if (!WHOLE.matcher(t).matches()) throw invalid(text);
      Duration d = Duration.ZERO;
      Matcher m = PART.matcher(t);
      while (m.find()) {
        long n = Long.parseLong(m.group(1));
        d = d.plus(switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        });
      }
      return d;
    } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
      // Out of range or malformed ISO-8601: the operator needs the expected forms, not the parser's view.
      throw invalid(text);
    }
  }

  /**
   * The shortest exact form that {@link #parse} reads back: {@code 90s} stays {@code 90s},
   * {@code 120000ms} becomes {@code 2m}; negative or sub-millisecond durations are written in ISO-8601.
   */
  public static String format(Duration d) {
    if (d.isNegative() || d.getNano() % 1_000_000 != 0) return d.toString();
    long ms = d.toMillis();
    if (ms != 0 && ms % 86_400_000L == 0) return ms / 86_400_000L + "d";
    if (ms != 0 && ms % 3_600_000L == 0) return ms / 3_600_000L + "h";
    if (ms != 0 && ms % 60_000L == 0) return ms / 60_000L + "m";
    if (ms % 1000 == 0) return ms / 1000 + "s";
    return ms + "ms";
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException("expected " + EXPECTED + ", got '" + text + "'");
  }

  /** Reads only strings: a number would silently pick a unit, anything else is a type error. */
  static final class Deserializer extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
        throw InvalidFormatException.from(p, "expected " + EXPECTED + ", got '" + p.getText() + "' (a number needs a unit)",
            p.getText(), Duration.class);
      }
      if (t != JsonToken.VALUE_STRING) {
        return (Duration) ctx.handleUnexpectedToken(Duration.class, p);
      }
      try {
        return parse(p.getText());
      } catch (IllegalArgumentException e) {
        throw InvalidFormatException.from(p, e.getMessage(), p.getText(), Duration.class);
      }
    }
  }

  static final class Serializer extends JsonSerializer<Duration> {
    @Override
    public void serialize(Duration value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
      gen.writeString(format(value));
    }
  }
}
