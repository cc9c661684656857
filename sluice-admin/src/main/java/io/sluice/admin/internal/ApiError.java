package io.sluice.admin.internal;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.api.ConfigError;
import io.sluice.store.StoreConflictException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An error answer of the admin API: {@code {"error","message","details"}}, plus {@code reason} for
 * a conflict or a request refused by a browser rule, and {@code errors} for invalid configuration. Thrown by handlers, written by the HTTP
 * handler.
 */
public final class ApiError extends RuntimeException {
  private final HttpResponseStatus status;
  private final String code;
  private final List<String> details;
  private final @Nullable String reason;
  private final List<ConfigError> errors;
  private final Map<String, String> headers;

  private ApiError(HttpResponseStatus status, String code, String message, List<String> details, @Nullable String reason,
      List<ConfigError> errors, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = List.copyOf(details);
    this.reason = reason;
    this.errors = List.copyOf(errors);
    this.headers = Map.copyOf(headers);
  }

  public static ApiError badRequest(String message, String... details) {
    return new ApiError(HttpResponseStatus.BAD_REQUEST, "bad_request", message, List.of(details), null, List.of(), Map.of());
  }

  public static ApiError unauthorized(String message) {
    return new ApiError(HttpResponseStatus.UNAUTHORIZED, "unauthorized", message, List.of(), null, List.of(),
        Map.of("WWW-Authenticate", "Bearer realm=\"sluice\""));
  }

  public static ApiError forbidden(String message) {
    return new ApiError(HttpResponseStatus.FORBIDDEN, "forbidden", message, List.of(), null, List.of(), Map.of());
  }

  /**
   * 403 from one of the rules against requests a browser is made to send ({@link BrowserGuard});
   * {@code reason} names the rule.
   */
  public static ApiError refused(String reason, String message) {
    return new ApiError(HttpResponseStatus.FORBIDDEN, "forbidden", message, List.of(), reason, List.of(), Map.of());
  }

  public static ApiError notFound(String message) {
    return new ApiError(HttpResponseStatus.NOT_FOUND, "not_found", message, List.of(), null, List.of(), Map.of());
  }

  public static ApiError methodNotAllowed(String method, String path, List<String> allowed) {
    return new ApiError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
        method + " is not allowed on " + path + "; allowed: " + String.join(", ", allowed), List.of(), null, List.of(),
        Map.of("Allow", String.join(", ", allowed)));
  }

  public static ApiError tooLarge(long max) {
    return new ApiError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large",
        "the request body is larger than " + max + " bytes", List.of(), null, List.of(), Map.of());
  }

  /** 409 (or 404 for {@code NOT_FOUND}) for a change set the store refused because of its state. */
  public static ApiError conflict(StoreConflictException e) {
    if (e.reason() == StoreConflictException.Reason.NOT_FOUND) {
      return new ApiError(HttpResponseStatus.NOT_FOUND, "not_found", String.valueOf(e.getMessage()), e.details(), null, List.of(), Map.of());
    }
    String reason = e.reason().name().toLowerCase(Locale.ROOT);
    return new ApiError(HttpResponseStatus.CONFLICT, "conflict", String.valueOf(e.getMessage()), e.details(), reason, List.of(), Map.of());
  }

  public static ApiError conflict(String reason, String message, List<String> details) {
    return new ApiError(HttpResponseStatus.CONFLICT, "conflict", message, details, reason, List.of(), Map.of());
  }

  /** A canary request refused ({@code CanaryControl.Refused}): 409, 404 or 422, with its reason code. */
  public static ApiError canary(io.sluice.admin.CanaryControl.Refused e) {
    String message = String.valueOf(e.getMessage());
    return switch (e.status()) {
      case CONFLICT -> new ApiError(HttpResponseStatus.CONFLICT, "conflict", message, List.of(), e.reason(), List.of(), Map.of());
      case NOT_FOUND -> new ApiError(HttpResponseStatus.NOT_FOUND, "not_found", message, List.of(), e.reason(), List.of(), Map.of());
      case INVALID -> new ApiError(HttpResponseStatus.UNPROCESSABLE_ENTITY, "invalid", message, List.of(), e.reason(), List.of(), Map.of());
    };
  }

  /** 422 with every error. */
  public static ApiError invalid(List<ConfigError> errors) {
    String message = errors.size() == 1
        ? "the configuration was refused: " + errors.getFirst()
        : "the configuration was refused: " + errors.size() + " errors";
    return new ApiError(HttpResponseStatus.UNPROCESSABLE_ENTITY, "invalid", message,
        errors.stream().map(ConfigError::toString).toList(), null, errors, Map.of());
  }

  public static ApiError unavailable(String message) {
    return new ApiError(HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable", message, List.of(), null, List.of(), Map.of());
  }

  public static ApiError internal(String message) {
    return new ApiError(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error", message, List.of(), null, List.of(), Map.of());
  }

  public HttpResponseStatus status() {
    return status;
  }

  public String code() {
    return code;
  }

  public List<String> details() {
    return details;
  }

  public @Nullable String reason() {
    return reason;
  }

  public List<ConfigError> errors() {
    return errors;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
