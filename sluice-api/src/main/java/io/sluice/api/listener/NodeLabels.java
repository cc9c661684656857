package io.sluice.api.listener;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Node labels ({@code sluice serve --node-label zone=a}) and the listener's {@code spec.nodeSelector}
 * that picks nodes by them. The syntax is Kubernetes': a key is an optional DNS-subdomain prefix and
 * {@code /}, then a name of at most 63 letters, digits, {@code -}, {@code _} and {@code .}, starting
 * and ending with a letter or digit; a value is empty or such a name. Stateless.
 */
public final class NodeLabels {
  private static final int MAX_NAME = 63;
  private static final int MAX_PREFIX = 253;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private NodeLabels() {}

  /** Whether {@code labels} has every key of {@code selector} with the same value; an empty selector selects every node. */
  public static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!Objects.equals(labels.get(e.getKey()), e.getValue())) return false;
    }
    return true;
  }

  /** What is wrong with {@code key} as a label key, or null when it is one. */
  public static @Nullable String problemWithKey(@Nullable String key) {
    String expected = "expected [prefix/]name: a name of 1 to " + MAX_NAME + " letters, digits, '-', '_' and '.', starting and"
        + " ending with a letter or digit, after an optional lower-case DNS subdomain prefix (such as zone or sluice.io/zone)";
    if (key == null || key.isEmpty()) return "empty label key; " + expected;
    int slash = key.indexOf('/');
    String name = slash < 0 ? key : key.substring(slash + 1);
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      if (prefix.isEmpty() || prefix.length() > MAX_PREFIX || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
        return "invalid label key '" + key + "': the prefix '" + prefix + "' is not a DNS subdomain; " + expected;
      }
    }
    if (name.length() > MAX_NAME || !NAME.matcher(name).matches()) return "invalid label key '" + key + "': " + expected;
    return null;
  }

  /** What is wrong with {@code value} as a label value, or null when it is one (empty is one). */
  public static @Nullable String problemWithValue(@Nullable String value) {
    if (value == null) return "missing label value; expected a string (empty, or up to " + MAX_NAME + " characters)";
    if (value.isEmpty()) return null;
    if (value.length() > MAX_NAME || !NAME.matcher(value).matches()) {
      return "invalid label value '" + value + "': expected at most " + MAX_NAME + " letters, digits, '-', '_' and '.',"
          + " starting and ending with a letter or digit (or empty)";
    }
    return null;
  }
}
