package io.sluice.api.codec;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
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
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw invalid(text);
      }
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
  }

  /** The shortest exact form: {@code 90s} becomes {@code 90s}, {@code 120000ms} becomes {@code 2m}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (d.getNano() % 1_000_000 != 0) return d.toString();
    if (ms != 0 && ms % 86_400_000L == 0) return ms / 86_400_000L + "d";
    if (ms != 0 && ms % 3_600_000L == 0) return ms / 3_600_000L + "h";
    if (ms != 0 && ms % 60_000L == 0) return ms / 60_000L + "m";
    if (ms % 1000 == 0) return ms / 1000 + "s";
    return ms + "ms";
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException("expected a duration such as 250ms, 5s or 1m, got '" + text + "'");
  }

  static final class Deserializer extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        String got = p.currentToken().isNumeric() ? p.getText() : p.currentToken().asString();
        throw ctx.weirdStringException(String.valueOf(got), Duration.class, invalid(String.valueOf(got)).getMessage());
      }
      try {
        return parse(p.getText());
      } catch (IllegalArgumentException e) {
        throw ctx.weirdStringException(p.getText(), Duration.class, e.getMessage());
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
