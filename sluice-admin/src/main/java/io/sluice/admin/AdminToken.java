package io.sluice.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A bearer token that may call the admin API. Only the SHA-256 digest of the token is kept, so a
 * tokens file can hold digests instead of secrets.
 *
 * @param name who the token belongs to; recorded as the author of every change made with it, and as
 *     the proposer or reviewer of change requests. Letters, digits, {@code .}, {@code _}, {@code -}
 *     and {@code @}, 1 to 64 characters
 * @param roles what the token may do: one role or more (docs/security.md "Roles")
 * @param sha256 the SHA-256 digest of the token's UTF-8 bytes, 64 hex digits (stored lower-case)
 */
public record AdminToken(String name, Set<Role> roles, String sha256) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
  private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

  /**
   * What a token may do. A request needs one role; a token may do it when one of its roles
   * {@linkplain #allows allows} that role (docs/security.md has the table).
   */
  public enum Role {
    /** Read everything, dry-run apply and rollback, test routes; every other write gets 403. */
    VIEWER,
    /** Write the configuration: apply, rollback, edit objects (with change review on: propose and publish). */
    EDITOR,
    /** Approve or reject change requests (never their own). */
    REVIEWER,
    /** What the other roles may, together; approvals are still needed, and still not one's own. */
    ADMIN;

    /** {@code viewer}, {@code editor}, {@code reviewer} or {@code admin}, as written in a tokens file. */
    public String displayName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** True when a holder of this role may do what needs {@code required}: every role reads, admin does all. */
    public boolean allows(Role required) {
      return this == ADMIN || required == VIEWER || this == required;
    }

    /** The role written as {@code name} ({@code viewer}, {@code editor}, ...), or null when there is none. */
    public static @Nullable Role fromName(String name) {
      for (Role r : values()) {
        if (r.displayName().equals(name)) return r;
      }
      return null;
    }

    /** The roles as a tokens file lists them: {@code viewer, editor, reviewer, admin}. */
    public static String names() {
      return java.util.Arrays.stream(values()).map(Role::displayName).collect(java.util.stream.Collectors.joining(", "));
    }
  }

  public AdminToken {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(roles, "roles");
    Objects.requireNonNull(sha256, "sha256");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid token name '" + name
          + "': expected 1 to 64 letters, digits, '.', '_', '-' or '@'");
    }
    if (roles.isEmpty()) throw new IllegalArgumentException("token '" + name + "' has no role; expected one or more of " + Role.names());
    roles = Collections.unmodifiableSet(EnumSet.copyOf(roles));
    if (!HEX_SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException("invalid sha256 of token '" + name + "': expected 64 hex digits, got "
          + sha256.length() + " characters");
    }
    sha256 = sha256.toLowerCase(Locale.ROOT);
  }

  /** A token with one role. */
  public AdminToken(String name, Role role, String sha256) {
    this(name, EnumSet.of(Objects.requireNonNull(role, "role")), sha256);
  }

  /** True when one of the token's roles allows what needs {@code required}. */
  public boolean allows(Role required) {
    return roles.stream().anyMatch(r -> r.allows(required));
  }

  /** A token whose secret is {@code secret} (only its digest is kept), with one role. */
  public static AdminToken ofSecret(String name, Role role, String secret) {
    return ofSecret(name, EnumSet.of(role), secret);
  }

  /** A token whose secret is {@code secret} (only its digest is kept). */
  public static AdminToken ofSecret(String name, Set<Role> roles, String secret) {
    if (secret.isEmpty()) throw new IllegalArgumentException("the secret of token '" + name + "' is empty");
    return new AdminToken(name, roles, HexFormat.of().formatHex(sha256(secret)));
  }

  /** The SHA-256 digest of {@code secret}'s UTF-8 bytes. */
  public static byte[] sha256(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The digest as bytes. */
  public byte[] digest() {
    return HexFormat.of().parseHex(sha256);
  }

  /** Never prints the digest: logs and error messages name tokens only. */
  @Override
  public String toString() {
    return "AdminToken[" + name + ", " + roles.stream().map(Role::displayName).collect(java.util.stream.Collectors.joining("+")) + "]";
  }
}
