package io.sluice.admin.internal;

import io.sluice.admin.AdminToken;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who sends a request: a token's name and roles, or {@code local} (admin) on an open loopback listener.
 */
public record Principal(String name, Set<AdminToken.Role> roles) {
  public static final Principal LOCAL = new Principal("local", EnumSet.of(AdminToken.Role.ADMIN));

  public Principal {
    roles = Set.copyOf(roles);
  }

  /** True when one of the roles allows what needs {@code required}. */
  public boolean may(AdminToken.Role required) {
    return roles.stream().anyMatch(r -> r.allows(required));
  }

  /** {@code the editor role}, {@code the editor and reviewer roles}: for refusals. */
  public String describeRoles() {
    String names = roles.stream().sorted().map(AdminToken.Role::displayName).collect(Collectors.joining(" and "));
    return "the " + names + (roles.size() == 1 ? " role" : " roles");
  }
}
