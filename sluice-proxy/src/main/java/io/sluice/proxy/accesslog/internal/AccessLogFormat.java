package io.sluice.proxy.accesslog.internal;

import io.sluice.api.listener.AccessLog;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How an entry becomes a line: text (fields separated by spaces, or a template) or JSON (one object
 * per line). Missing values are {@code -} in text and {@code null} in JSON; durations are
 * milliseconds with three decimals; the time is RFC 3339 in UTC with milliseconds.
 *
 * <p>Text escapes {@code "}, {@code \} and control characters ({@code \x0A}), so a value can never
 * break a line or a quoted field; in fields mode the values that may hold spaces (host, query, user
 * agent) are quoted.
 *
 * <p>Immutable; {@link #format} is called by the writer thread only (it reuses a time cache).
 */
public final class AccessLogFormat {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
  private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final boolean json;
  /** For text, literal parts between the fields: {@code literals.size() == fields.size() + 1}. */
  private final List<String> literals;
  private final List<String> fields;
  private final boolean quoteFreeText;
  private long cachedSecond = Long.MIN_VALUE;
  private String cachedSecondText = "";

  private AccessLogFormat(boolean json, List<String> literals, List<String> fields, boolean quoteFreeText) {
    this.json = json;
    this.literals = literals;
    this.fields = fields;
    this.quoteFreeText = quoteFreeText;
  }

  /** Compiles a validated access log spec. */
  public static AccessLogFormat compile(AccessLog spec) {
    if (spec.template() != null) {
      List<String> literals = new ArrayList<>();
      List<String> fields = new ArrayList<>();
      Matcher m = PLACEHOLDER.matcher(spec.template());
      int at = 0;
      while (m.find()) {
        literals.add(spec.template().substring(at, m.start()));
        fields.add(m.group(1));
        at = m.end();
      }
      literals.add(spec.template().substring(at));
      return new AccessLogFormat(false, List.copyOf(literals), List.copyOf(fields), false);
    }
    List<String> fields = spec.effectiveFields();
    List<String> literals = new ArrayList<>();
    literals.add("");
    for (int i = 1; i < fields.size(); i++) literals.add(" ");
    literals.add("");
    return new AccessLogFormat(spec.format() == AccessLog.Format.JSON, List.copyOf(literals), fields, true);
  }

  /** Whether lines show {@code field}: the event loop captures the values that cost something only then. */
  public boolean uses(String field) {
    return fields.contains(field);
  }

  /** Appends the line for {@code e}, without the newline. */
  public void format(AccessLogEntry e, StringBuilder out) {
    if (json) {
      out.append('{');
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) out.append(',');
        out.append('"').append(fields.get(i)).append("\":");
        jsonValue(e, fields.get(i), out);
      }
      out.append('}');
      return;
    }
    for (int i = 0; i < fields.size(); i++) {
      out.append(literals.get(i));
      textValue(e, fields.get(i), out);
    }
    out.append(literals.get(fields.size()));
  }

  private void textValue(AccessLogEntry e, String field, StringBuilder out) {
    switch (field) {
      case "time" -> time(e.startMillis(), out);
      case "status" -> out.append(e.status());
      case "bytesIn" -> out.append(e.bytesIn());
      case "bytesOut" -> out.append(e.bytesOut());
      case "duration" -> millis(e.durationNanos(), out);
      case "upstreamDuration" -> {
        if (e.upstreamNanos() < 0) out.append('-'); else millis(e.upstreamNanos(), out);
      }
      case "requestId" -> {
        if (e.requestIdHeader() != null) {
          text(e.requestIdHeader(), out, false);
        } else if (e.requestIdHigh() != 0 || e.requestIdLow() != 0) {
          hex(e.requestIdHigh(), out);
          hex(e.requestIdLow(), out);
        } else {
          out.append('-');
        }
      }
      case "host", "query", "userAgent" -> text(string(e, field), out, quoteFreeText);
      default -> text(string(e, field), out, false);
    }
  }

  private void jsonValue(AccessLogEntry e, String field, StringBuilder out) {
    switch (field) {
      case "time" -> {
        out.append('"');
        time(e.startMillis(), out);
        out.append('"');
      }
      case "status" -> out.append(e.status());
      case "bytesIn" -> out.append(e.bytesIn());
      case "bytesOut" -> out.append(e.bytesOut());
      case "duration" -> millis(e.durationNanos(), out);
      case "upstreamDuration" -> {
        if (e.upstreamNanos() < 0) out.append("null"); else millis(e.upstreamNanos(), out);
      }
      case "requestId" -> {
        if (e.requestIdHeader() != null) {
          jsonString(e.requestIdHeader(), out);
        } else if (e.requestIdHigh() != 0 || e.requestIdLow() != 0) {
          out.append('"');
          hex(e.requestIdHigh(), out);
          hex(e.requestIdLow(), out);
          out.append('"');
        } else {
          out.append("null");
        }
      }
      default -> {
        String s = string(e, field);
        if (s == null) out.append("null"); else jsonString(s, out);
      }
    }
  }

  private static @Nullable String string(AccessLogEntry e, String field) {
    return switch (field) {
      case "listener" -> e.listener();
      case "client" -> e.client();
      case "method" -> e.method();
      case "host" -> e.host();
      case "path" -> e.path();
      case "query" -> e.query();
      case "protocol" -> e.protocol();
      case "reason" -> e.reason();
      case "route" -> e.route();
      case "upstream" -> e.upstream();
      case "traceId" -> e.traceId();
      case "userAgent" -> e.userAgent();
      default -> throw new IllegalStateException("not a string field: " + field);
    };
  }

  private void time(long millis, StringBuilder out) {
    long second = Math.floorDiv(millis, 1000);
    if (second != cachedSecond) {
      cachedSecond = second;
      cachedSecondText = SECONDS.format(Instant.ofEpochSecond(second));
    }
    int ms = (int) Math.floorMod(millis, 1000);
    out.append(cachedSecondText).append('.');
    if (ms < 100) out.append('0');
    if (ms < 10) out.append('0');
    out.append(ms).append('Z');
  }

  private static void millis(long nanos, StringBuilder out) {
    long micros = Math.max(0, nanos) / 1000;
    out.append(micros / 1000).append('.');
    long frac = micros % 1000;
    if (frac < 100) out.append('0');
    if (frac < 10) out.append('0');
    out.append(frac);
  }

  private static void hex(long v, StringBuilder out) {
    for (int s = 60; s >= 0; s -= 4) out.append(HEX[(int) (v >>> s) & 0xf]);
  }

  private static void text(@Nullable String s, StringBuilder out, boolean quote) {
    if (s == null || s.isEmpty()) {
      out.append('-');
      return;
    }
    if (quote) out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      } else {
        out.append(c);
      }
    }
    if (quote) out.append('"');
  }

  private static void jsonString(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
