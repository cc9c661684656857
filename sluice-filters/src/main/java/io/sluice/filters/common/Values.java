package io.sluice.filters.common;

import io.sluice.api.filter.FilterConfigValidator.Problems;
import org.jspecify.annotations.Nullable;

/** Checks of config values that several filters share. */
public final class Values {
  private Values() {}

  /** Reports {@code path} unless it is null or an absolute path that can be sent as is. */
  public static void absolutePath(Problems problems, String field, @Nullable String path) {
    if (path == null) {
      problems.add(field, "missing; expected a path starting with '/'");
      return;
    }
    if (!path.startsWith("/")) {
      problems.add(field, "expected a path starting with '/', got '" + path + "'");
      return;
    }
    for (int i = 0; i < path.length(); i++) {
      if (!isPathChar(path.charAt(i))) {
        problems.add(field, "invalid character '" + path.charAt(i) + "' in '" + path + "': percent-encode it");
        return;
      }
    }
  }

  /** Characters a path may hold as sent (RFC 3986 pchar and '/', '%' for escapes). */
  public static boolean isPathChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~!$&'()*+,;=:@/%".indexOf(c) >= 0;
  }

  /** Reports {@code value} unless it is {@code host} or {@code host:port}. */
  public static void authority(Problems problems, String field, String value) {
    String host = value;
    int colon = value.lastIndexOf(':');
    if (colon > 0 && !value.endsWith("]")) {
      String port = value.substring(colon + 1);
      host = value.substring(0, colon);
      if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
        problems.add(field, "invalid port in '" + value + "': expected 1 to 65535");
        return;
      }
    }
    boolean ok = !host.isEmpty() && (host.matches("[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?") || host.matches("\\[[0-9A-Fa-f:.]+]"));
    if (!ok) problems.add(field, "invalid host '" + value + "': expected host or host:port such as api.internal:8080");
  }

  /** Reports {@code name} unless it is a header field name (an RFC 9110 token). */
  public static void headerName(Problems problems, String field, @Nullable String name) {
    if (name == null || name.isEmpty()) {
      problems.add(field, "missing; expected a header name");
    } else if (!io.sluice.filter.HeaderRules.isToken(name)) {
      problems.add(field, "invalid header name '" + name + "': expected a token such as x-api-key");
    }
  }
}
