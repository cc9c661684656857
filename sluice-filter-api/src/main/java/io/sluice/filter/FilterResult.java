package io.sluice.filter;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * How a filter's phase ended. Immutable; build the results a filter returns often (its rejection,
 * say) once, when the filter is created, so that returning them allocates nothing.
 *
 * <ul>
 *   <li>{@link #CONTINUE}: go on with the next filter.
 *   <li>{@link #respond(String, LocalResponse)}: answer with this response; the rest of the
 *       request phase and the upstream are skipped. The result has a name (e.g. {@code unauthorized}):
 *       a filter's {@code onResult: {unauthorized: other-filter}} turns it into a jump instead.
 *   <li>{@link #named(String)}: a named result without a response, for flow jumps only; without a
 *       jump for it, the flow goes on with the next filter.
 *   <li>{@link #async(CompletionStage)}: the outcome comes later; the chain waits, without holding
 *       the event loop, and resumes on the exchange's loop with the stage's result. A stage that
 *       fails ends the exchange with 500 {@code filter_error}.
 * </ul>
 */
public final class FilterResult {
  /** Go on with the next filter. */
  public static final FilterResult CONTINUE = new FilterResult(null, null, null);
  /** The name of a {@link #respond(LocalResponse)} result that was given none. */
  public static final String RESPOND = "respond";

  private final @Nullable String name;
  private final @Nullable LocalResponse response;
  private final @Nullable CompletionStage<FilterResult> stage;

  private FilterResult(@Nullable String name, @Nullable LocalResponse response, @Nullable CompletionStage<FilterResult> stage) {
    this.name = name;
    this.response = response;
    this.stage = stage;
  }

  /** Answer with {@code response}, as a result named {@code result} (what {@code onResult} jumps on). */
  public static FilterResult respond(String result, LocalResponse response) {
    return new FilterResult(checkName(result), Objects.requireNonNull(response, "response"), null);
  }

  /** Answer with {@code response}, as a result named {@value #RESPOND}. */
  public static FilterResult respond(LocalResponse response) {
    return respond(RESPOND, response);
  }

  /** A named result without a response: a jump when the filter's {@code onResult} names it, else go on. */
  public static FilterResult named(String result) {
    return new FilterResult(checkName(result), null, null);
  }

  /** The result comes later: {@code stage} completes, on any thread, with the result (which may itself be async). */
  public static FilterResult async(CompletionStage<FilterResult> stage) {
    return new FilterResult(null, null, Objects.requireNonNull(stage, "stage"));
  }

  private static String checkName(String result) {
    if (result == null || result.isEmpty()) throw new IllegalArgumentException("a result name must not be empty");
    return result;
  }

  /** The result's name, or null for {@link #CONTINUE} and async results. */
  public @Nullable String name() {
    return name;
  }

  /** The response to answer with, or null. */
  public @Nullable LocalResponse response() {
    return response;
  }

  /** The pending outcome of an async result, or null. */
  public @Nullable CompletionStage<FilterResult> stage() {
    return stage;
  }

  public boolean isAsync() {
    return stage != null;
  }

  @Override
  public String toString() {
    if (this == CONTINUE) return "CONTINUE";
    if (stage != null) return "async";
    return name + (response == null ? "" : " (" + response.status() + ")");
  }
}
