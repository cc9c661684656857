package io.sluice.filters.function;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.sluice.api.ByteSize;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The {@code function} filter's config.
 *
 * @param function the Function to call; required
 * @param mode what the function gets: {@code request} (the request as it is: method, path, query,
 *     headers, body) or {@code event} (a CloudEvents 1.0 JSON envelope of the request); default
 *     {@code request}
 * @param use what the answer is: {@code response} (the client's response) or {@code request-edits}
 *     (a JSON object of edits to the request, which then goes on to the route's upstream); default
 *     {@code response}
 * @param maxBodySize the largest request body read and passed to the function (default 1MiB); a
 *     larger one gets 413
 * @param maxResponseBody the largest answer taken from the function (default 1MiB); a larger one
 *     fails the call
 * @param failureStatus the status the client gets when the call fails (timeout, no healthy
 *     endpoint, open breaker, ...), 400 to 599; default the failure's own: 504 for a timeout, 503 when no
 *     endpoint can take it, 502 otherwise
 */
public record FunctionConfig(@Nullable String function, Mode mode, Use use, ByteSize maxBodySize, ByteSize maxResponseBody,
    @Nullable Integer failureStatus) {
  public FunctionConfig {
    mode = mode == null ? Mode.REQUEST : mode;
    use = use == null ? Use.RESPONSE : use;
    maxBodySize = maxBodySize == null ? ByteSize.ofMiB(1) : maxBodySize;
    maxResponseBody = maxResponseBody == null ? ByteSize.ofMiB(1) : maxResponseBody;
  }

  /** What the function is sent. */
  public enum Mode {
    /** The request as it is. */
    REQUEST("request"),
    /** A CloudEvents 1.0 structured-mode JSON envelope of the request. */
    EVENT("event");

    private final String configName;

    Mode(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static Mode fromConfigName(String name) {
      for (Mode m : values()) {
        if (m.configName.equals(name)) return m;
      }
      throw new IllegalArgumentException("expected one of " + Arrays.stream(values()).map(Mode::configName)
          .collect(Collectors.joining(", ")) + ", got '" + name + "'");
    }
  }

  /** What the function's answer is used as. */
  public enum Use {
    /** The client's response. */
    RESPONSE("response"),
    /** Edits to the request, which then goes on. */
    REQUEST_EDITS("request-edits");

    private final String configName;

    Use(String configName) {
      this.configName = configName;
    }

    @JsonValue
    public String configName() {
      return configName;
    }

    @JsonCreator
    public static Use fromConfigName(String name) {
      for (Use u : values()) {
        if (u.configName.equals(name)) return u;
      }
      throw new IllegalArgumentException("expected one of " + Arrays.stream(values()).map(Use::configName)
          .collect(Collectors.joining(", ")) + ", got '" + name + "'");
    }
  }
}
