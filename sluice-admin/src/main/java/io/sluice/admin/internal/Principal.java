package io.sluice.admin.internal;

import io.sluice.admin.AdminToken;

/** Who sends a request: a token's name and role, or {@code local} (editor) on an open loopback listener. */
public record Principal(String name, AdminToken.Role role) {
  public static final Principal LOCAL = new Principal("local", AdminToken.Role.EDITOR);
}
