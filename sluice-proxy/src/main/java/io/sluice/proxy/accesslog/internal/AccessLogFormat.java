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
 * <p>Text escapes {@code "}, {@code \}, control characters and bytes beyond ASCII ({@code \x0a},
 * {@code \xc3}), so a value can never break a line or a quoted field; in fields mode the values that may hold spaces (host, query, user
 * agent) are quoted.
 *
 * <p>Immutable; {@link #format} is called by the writer thread only (it reuses a time cache).
 */
public final class AccessLogFormat {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
  private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static final int TIME = 0, LISTENER = 1, CLIENT = 2, METHOD = 3, HOST = 4, PATH = 5, QUERY = 6,
      PROTOCOL = 7, STATUS = 8, REASON = 9, BYTES_IN = 10, BYTES_OUT = 11, DURATION = 12, UPSTREAM_DURATION = 13,
      ROUTE = 14, UPSTREAM = 15, REQUEST_ID = 16, TRACE_ID = 17, USER_AGENT = 18,
      CONSUMER = 19, CLIENT_CERT = 20, GRPC_STATUS = 21;

  static {
    // The codes above are positions in the API's list of field names.
    if (AccessLog.FIELDS.indexOf("grpcStatus") != GRPC_STATUS || AccessLog.FIELDS.indexOf("time") != TIME) {
      throw new IllegalStateException("AccessLog.FIELDS changed order: update AccessLogFormat's codes");
    }
  }

  private final boolean json;
  /** For text, literal parts between the fields: {@code literals.size() == fields.size() + 1}. */
  private final List<String> literals;
  private final List<String> fields;
  /** {@code fields} as codes, so that a line is built without comparing strings. */
  private final int[] codes;
  private final boolean quoteFreeText;
  private final boolean usesUserAgent;
  private final boolean usesRequestId;
  private long cachedSecond = Long.MIN_VALUE;
  private String cachedSecondText = "";

  private AccessLogFormat(boolean json, List<String> literals, List<String> fields, boolean quoteFreeText) {
    this.json = json;
    this.literals = literals;
    this.fields = fields;
    this.codes = fields.stream().mapToInt(AccessLog.FIELDS::indexOf).toArray();
    this.quoteFreeText = quoteFreeText;
    this.usesUserAgent = fields.contains("userAgent");
    this.usesRequestId = fields.contains("requestId");
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

  /** Whether lines show the user agent: the event loop looks it up only then. */
  public boolean usesUserAgent() {
    return usesUserAgent;
  }

  /** Whether lines show the request id: the event loop looks it up only then. */
  public boolean usesRequestId() {
    return usesRequestId;
  }

  /** Appends the line for {@code e}, without the newline. */
  public void format(AccessLogEntry e, LineBuffer out) {
    if (json) {
      out.append('{');
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) out.append(',');
        out.append('"').append(fields.get(i)).append("\":");
        jsonValue(e, codes[i], out);
      }
      out.append('}');
      return;
    }
    for (int i = 0; i < fields.size(); i++) {
      out.append(literals.get(i));
      textValue(e, codes[i], out);
    }
    out.append(literals.get(fields.size()));
  }

  private void textValue(AccessLogEntry e, int field, LineBuffer out) {
    switch (field) {
      case TIME -> time(e.startMillis(), out);
      case STATUS -> out.append((long) e.status());
      case GRPC_STATUS -> {
        if (e.grpcStatus() < 0) out.append('-'); else out.append((long) e.grpcStatus());
      }
      case BYTES_IN -> out.append(e.bytesIn());
      case BYTES_OUT -> out.append(e.bytesOut());
      case DURATION -> millis(e.durationNanos(), out);
      case UPSTREAM_DURATION -> {
        if (e.upstreamNanos() < 0) out.append('-'); else millis(e.upstreamNanos(), out);
      }
      case REQUEST_ID -> {
        if (e.requestIdHeader() != null) {
          text(e.requestIdHeader(), out, false);
        } else if (e.requestIdHigh() != 0 || e.requestIdLow() != 0) {
          hex(e.requestIdHigh(), out);
          hex(e.requestIdLow(), out);
        } else {
          out.append('-');
        }
      }
      case HOST, QUERY, USER_AGENT, CLIENT_CERT -> text(string(e, field), out, quoteFreeText);
      default -> text(string(e, field), out, false);
    }
  }

  private void jsonValue(AccessLogEntry e, int field, LineBuffer out) {
    switch (field) {
      case TIME -> {
        out.append('"');
        time(e.startMillis(), out);
        out.append('"');
      }
      case STATUS -> out.append((long) e.status());
      case GRPC_STATUS -> {
        if (e.grpcStatus() < 0) out.append("null"); else out.append((long) e.grpcStatus());
      }
      case BYTES_IN -> out.append(e.bytesIn());
      case BYTES_OUT -> out.append(e.bytesOut());
      case DURATION -> millis(e.durationNanos(), out);
      case UPSTREAM_DURATION -> {
        if (e.upstreamNanos() < 0) out.append("null"); else millis(e.upstreamNanos(), out);
      }
      case REQUEST_ID -> {
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

  private static @Nullable String string(AccessLogEntry e, int field) {
    return switch (field) {
      case LISTENER -> e.listener();
      case CLIENT -> e.client();
      case METHOD -> e.method();
      case HOST -> e.host();
      case PATH -> e.path();
      case QUERY -> e.query();
      case PROTOCOL -> e.protocol();
      case REASON -> e.reason();
      case ROUTE -> e.route();
      case UPSTREAM -> e.upstream();
      case TRACE_ID -> e.traceId();
      case USER_AGENT -> e.userAgent();
      case CONSUMER -> e.consumer();
      case CLIENT_CERT -> e.clientCert();
      default -> throw new IllegalStateException("not a string field: " + field);
    };
  }

  private void time(long millis, LineBuffer out) {
    long second = Math.floorDiv(millis, 1000);
    if (second != cachedSecond) {
      cachedSecond = second;
      cachedSecondText = SECONDS.format(Instant.ofEpochSecond(second));
    }
    int ms = (int) Math.floorMod(millis, 1000);
    out.append(cachedSecondText).append('.');
    if (ms < 100) out.append('0');
    if (ms < 10) out.append('0');
    out.append((long) ms).append('Z');
  }

  private static void millis(long nanos, LineBuffer out) {
    long micros = Math.max(0, nanos) / 1000;
    out.append(micros / 1000).append('.');
    long frac = micros % 1000;
    if (frac < 100) out.append('0');
    if (frac < 10) out.append('0');
    out.append(frac);
  }

  private static void hex(long v, LineBuffer out) {
    for (int s = 60; s >= 0; s -= 4) out.append(HEX[(int) (v >>> s) & 0xf]);
  }

  private static void text(@Nullable String s, LineBuffer out, boolean quote) {
    if (s == null || s.isEmpty()) {
      out.append('-');
      return;
    }
    if (quote) out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || (c >= 0x7f && c <= 0xff)) {
        // Header bytes are read as Latin-1: a byte outside printable ASCII is shown as \xHH, as nginx does.
        out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      } else {
        out.append(c);
      }
    }
    if (quote) out.append('"');
  }

  private static void jsonString(String s, LineBuffer out) {
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
