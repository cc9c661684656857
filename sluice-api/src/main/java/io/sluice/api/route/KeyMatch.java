package io.sluice.api.route;

import org.jspecify.annotations.Nullable;

/**
 * A condition on a named request header or query parameter. Exactly one of {@code exact},
 * {@code regex}, {@code present: true} and {@code absent: true} is set.
 *
 * @param name header name (case-insensitive) or query parameter name (case-sensitive)
 * @param exact the value must equal this
 * @param regex the value must match this Java regular expression as a whole
 * @param present the header or parameter must be there, with any value
 * @param absent the header or parameter must not be there
 */
public record KeyMatch(
    String name,
    @Nullable String exact,
    @Nullable String regex,
    @Nullable Boolean present,
    @Nullable Boolean absent) {

  public static KeyMatch exact(String name, String value) {
    return new KeyMatch(name, value, null, null, null);
  }

  public static KeyMatch regex(String name, String regex) {
    return new KeyMatch(name, null, regex, null, null);
  }

  public static KeyMatch present(String name) {
    return new KeyMatch(name, null, null, true, null);
  }

  public static KeyMatch absent(String name) {
    return new KeyMatch(name, null, null, null, true);
  }
}
