package io.sluice.filters.rewrite;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import io.sluice.filters.common.Values;
import io.sluice.filter.Exchange;
import io.sluice.filter.Filter;
import io.sluice.filter.FilterEnvironment;
import io.sluice.filter.FilterFactory;
import io.sluice.filter.FilterResult;
import io.sluice.filter.Request;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * {@code rewrite}: changes the path and the Host the upstream receives; the query is kept.
 *
 * <pre>{@code
 * - kind: rewrite
 *   config:
 *     pathPrefix: {match: /api/v1, replace: /v1}      # or:
 *     pathRegex: {match: "^/users/([0-9]+)/profile$", replace: "/profiles/$1"}
 *     host: users.internal:8080
 * }</pre>
 *
 * <p>A path the rule does not match is sent unchanged. A path set by this filter wins over the
 * route's {@code rewrite.pathPrefix}, a host over {@code rewrite.host}.
 */
public final class RewriteFilterFactory implements FilterFactory<RewriteConfig> {
  @Override
  public String kind() {
    return "rewrite";
  }

  @Override
  public Class<RewriteConfig> configType() {
    return RewriteConfig.class;
  }

  @Override
  public void validate(RewriteConfig c, Problems problems) {
    if (c.pathPrefix() == null && c.pathRegex() == null && c.host() == null) {
      problems.add("", "nothing to rewrite; expected pathPrefix, pathRegex or host");
    }
    if (c.pathPrefix() != null && c.pathRegex() != null) {
      problems.add("pathRegex", "set together with pathPrefix; expected one of them");
    }
    if (c.pathPrefix() != null) {
      Values.absolutePath(problems, "pathPrefix.match", c.pathPrefix().match());
      Values.absolutePath(problems, "pathPrefix.replace", c.pathPrefix().replace());
    }
    if (c.pathRegex() != null) {
      RewriteConfig.Regex r = c.pathRegex();
      Pattern p = null;
      if (r.match() == null) {
        problems.add("pathRegex.match", "missing; expected a regular expression");
      } else {
        try {
          p = Pattern.compile(r.match());
        } catch (PatternSyntaxException e) {
          problems.add("pathRegex.match", "invalid regular expression '" + r.match() + "': " + e.getDescription());
        }
      }
      if (r.replace() == null) {
        problems.add("pathRegex.replace", "missing; expected the replacement, e.g. /users/$1");
      } else if (p != null) {
        String problem = replacementProblem(p, r.replace());
        if (problem != null) problems.add("pathRegex.replace", problem);
      }
    }
    if (c.host() != null) Values.authority(problems, "host", c.host());
  }

  /** Whether the replacement's group references exist and its literal characters can be sent in a path. */
  private static @Nullable String replacementProblem(Pattern p, String replacement) {
    try {
      checkGroups(p, replacement);
    } catch (IllegalArgumentException e) {
      return "invalid replacement '" + replacement + "': " + e.getMessage();
    }
    String literal = replacement.replaceAll("\\$(\\d+|\\{[A-Za-z][A-Za-z0-9]*})", "");
    for (int i = 0; i < literal.length(); i++) {
      char ch = literal.charAt(i);
      if (ch == '\\' || ch == '$') {
        return "invalid replacement '" + replacement + "': '" + ch + "' only starts a group reference ($1, ${name})";
      }
      if (!Values.isPathChar(ch)) return "invalid character '" + ch + "' in '" + replacement + "': percent-encode it";
    }
    return null;
  }

  private static void checkGroups(Pattern p, String replacement) {
    int groups = p.matcher("").groupCount();
    Matcher refs = Pattern.compile("\\$(\\d+)|\\$\\{([A-Za-z][A-Za-z0-9]*)}").matcher(replacement);
    while (refs.find()) {
      if (refs.group(1) != null) {
        int g = Integer.parseInt(refs.group(1));
        if (g > groups) throw new IllegalArgumentException("$" + g + " refers to no group; the pattern has " + groups);
      } else if (!p.namedGroups().containsKey(refs.group(2))) {
        throw new IllegalArgumentException("${" + refs.group(2) + "} refers to no named group of the pattern");
      }
    }
  }

  @Override
  public Filter create(RewriteConfig c, FilterEnvironment env) {
    String host = c.host();
    RewriteConfig.Prefix prefix = c.pathPrefix();
    // validate() refused a prefix without match or replace
    String strip = prefix == null ? null : trimSlash(Objects.requireNonNull(prefix.match()));
    String replace = prefix == null ? "" : Objects.requireNonNull(prefix.replace());
    Pattern regex = c.pathRegex() == null ? null : Pattern.compile(c.pathRegex().match());
    String regexReplace = c.pathRegex() == null ? null : c.pathRegex().replace();
    return new Filter() {
      @Override
      public FilterResult onRequest(Exchange x) {
        Request r = x.request();
        if (strip != null) {
          String p = r.path();
          if (p.startsWith(strip) && (p.length() == strip.length() || p.charAt(strip.length()) == '/' || strip.isEmpty())) {
            String rest = p.substring(strip.length());
            if (replace.endsWith("/") && rest.startsWith("/")) rest = rest.substring(1);
            String out = replace + rest;
            r.setPath(out.isEmpty() ? "/" : out.startsWith("/") ? out : "/" + out);
          }
        } else if (regex != null) {
          Matcher m = regex.matcher(r.path());
          if (m.find()) {
            StringBuilder sb = new StringBuilder(r.path().length() + 16);
            m.appendReplacement(sb, regexReplace);
            m.appendTail(sb);
            String out = sb.toString();
            r.setPath(out.startsWith("/") ? out : "/" + out);
          }
        }
        if (host != null) r.setAuthority(host);
        return FilterResult.CONTINUE;
      }
    };
  }

  private static String trimSlash(String prefix) {
    return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
  }
}
