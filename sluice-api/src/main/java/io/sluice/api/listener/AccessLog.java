package io.sluice.api.listener;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.sluice.api.ByteSize;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A listener's access log: one line per request, written off the event loops.
 *
 * <pre>{@code
 * accessLog:
 *   format: json                      # or text (default)
 *   fields: [time, client, method, path, status, reason, duration]   # default: all but query
 *   file: {path: /var/log/sluice/access.log, maxSize: 100MiB, rotateEvery: 24h, keep: 7}
 * }</pre>
 *
 * <p>Text lines are {@code fields} separated by spaces (values that may hold spaces quoted), or a
 * {@code template} such as {@code '{client} "{method} {path}" {status}'}; JSON lines are one object
 * per line with the fields as keys.
 *
 * @param enabled false turns the log off while keeping its settings (default true)
 * @param format {@code text} (default) or {@code json}
 * @param fields the fields, in order; names from {@link #FIELDS}; default {@link #DEFAULT_FIELDS}
 * @param template text only, instead of {@code fields}: {@code {name}} placeholders in free text
 * @param file where to write; left out means standard output
 */
public record AccessLog(
    Boolean enabled, Format format, List<String> fields, @Nullable String template, @Nullable FileOutput file) {

  /** Every field an access log line can hold. */
  public static final List<String> FIELDS = List.of(
      "time", "listener", "client", "method", "host", "path", "query", "protocol", "status", "reason",
      "bytesIn", "bytesOut", "duration", "upstreamDuration", "route", "upstream", "requestId", "traceId",
      "userAgent", "consumer", "clientCert", "grpcStatus");

  /** The fields of a line when neither {@code fields} nor {@code template} is given. */
  public static final List<String> DEFAULT_FIELDS = FIELDS.stream().filter(f -> !f.equals("query")).toList();

  public AccessLog {
    enabled = enabled == null || enabled;
    format = format == null ? Format.TEXT : format;
    fields = fields == null ? List.of() : List.copyOf(fields);
  }

  /** The fields of a line without a template: the configured ones, else {@link #DEFAULT_FIELDS}. */
  public List<String> effectiveFields() {
    return fields.isEmpty() ? DEFAULT_FIELDS : fields;
  }

  /** Line formats. */
  public enum Format {
    TEXT("text"),
    JSON("json");

    private final String configName;

    Format(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static Format fromConfigName(String name) {
      for (Format f : values()) {
        if (f.configName.equals(name)) return f;
      }
      throw new IllegalArgumentException("unknown access log format '" + name + "', expected text or json");
    }
  }

  /**
   * A log file, rotated by size and optionally by age: {@code access.log} becomes
   * {@code access.log.1}, the previous {@code .1} becomes {@code .2}, and so on up to {@code keep}.
   *
   * @param path the file; its directory is created if missing; required
   * @param maxSize rotate before the file grows beyond this (default 100MiB)
   * @param rotateEvery rotate at least this often (default: only by size)
   * @param keep rotated files kept besides the current one (default 7)
   */
  public record FileOutput(String path, ByteSize maxSize, @Nullable Duration rotateEvery, Integer keep) {
    public FileOutput {
      maxSize = maxSize == null ? ByteSize.ofMiB(100) : maxSize;
      keep = keep == null ? 7 : keep;
    }
  }
}
