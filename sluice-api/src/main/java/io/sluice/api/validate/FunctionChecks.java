package io.sluice.api.validate;

import io.sluice.api.Kind;
import io.sluice.api.codec.Durations;
import io.sluice.api.function.FunctionSpec;
import java.time.Duration;
import java.util.function.BiPredicate;

/** The checks of a Function's spec: its Upstream exists, its path and method are usable in a request. Stateless. */
final class FunctionChecks {
  /** The longest deadline a Function may set: a call is held by a filter, whose chain waits at most 10 minutes. */
  static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

  private FunctionChecks() {}

  static void function(TrafficChecks.Errors r, FunctionSpec s, BiPredicate<Kind, String> exists) {
    String u = s.upstream();
    if (u == null || u.isEmpty()) {
      r.error("spec.upstream", "missing; expected the name of the Upstream that serves the function");
    } else if (!exists.test(Kind.UPSTREAM, u)) {
      r.error("spec.upstream", "Upstream '" + u + "' does not exist");
    }
    String p = s.path();
    if (p != null) {
      if (!p.startsWith("/")) {
        r.error("spec.path", "expected a path starting with '/', got '" + p + "'");
      } else {
        for (int i = 0; i < p.length(); i++) {
          char c = p.charAt(i);
          if (c <= 0x20 || c >= 0x7f) {
            r.error("spec.path", "invalid character 0x" + Integer.toHexString(c) + " in '" + p
                + "'; expected no spaces or control characters (percent-encode them)");
            break;
          }
        }
      }
    }
    String m = s.method();
    if (m != null && !isToken(m)) r.error("spec.method", "expected a method such as POST, got '" + m + "'");
    Duration t = s.timeout();
    if (t != null && (!t.isPositive() || t.compareTo(MAX_TIMEOUT) > 0)) {
      r.error("spec.timeout", "expected a duration above zero and at most " + Durations.format(MAX_TIMEOUT) + ", got "
          + Durations.format(t));
    }
  }

  private static boolean isToken(String s) {
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) return false;
    }
    return true;
  }
}
