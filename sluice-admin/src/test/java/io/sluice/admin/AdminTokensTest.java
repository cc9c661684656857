package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokensTest {
  @TempDir Path dir;

  @Test
  void readsTokensGivenAsSecretsOrDigests() throws Exception {
    String digest = HexFormat.of().formatHex(AdminToken.sha256("viewer-secret"));
    Path file = Files.writeString(dir.resolve("tokens.yaml"), """
        tokens:
          - name: ci-bot
            role: editor
            token: "s3cr3t-value"
          - name: dashboard
            role: viewer
            sha256: "%s"
        """.formatted(digest.toUpperCase(java.util.Locale.ROOT)));
    List<AdminToken> tokens = AdminTokens.load(file);
    assertThat(tokens).containsExactly(
        new AdminToken("ci-bot", AdminToken.Role.EDITOR, HexFormat.of().formatHex(AdminToken.sha256("s3cr3t-value"))),
        new AdminToken("dashboard", AdminToken.Role.VIEWER, digest));
    assertThat(tokens.get(0).toString()).isEqualTo("AdminToken[ci-bot, editor]");
  }

  @Test
  void everyBadEntryIsReportedNamingTheFileEntryAndField() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens.yaml"), """
        tokens:
          - name: a
            role: root
            token: x
          - name: b
            role: viewer
          - name: c
            role: editor
            token: y
            sha256: "00"
          - name: d
            role: viewer
            sha256: "abc"
          - name: a
            role: viewer
            token: z
          - name: e
            role: viewer
            token: z
          - name: f
            role: viewer
            token: 12345
            extra: 1
        """);
    String f = file.toString();
    assertThatThrownBy(() -> AdminTokens.load(file))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).containsExactly(
            new ConfigError(f, "tokens[0] (a)", "role", "expected viewer, editor, reviewer, admin, got 'root'"),
            new ConfigError(f, "tokens[1] (b)", "token", "missing; expected token (the secret) or sha256 (its SHA-256 in hex)"),
            new ConfigError(f, "tokens[2] (c)", "sha256", "give either token or sha256, not both"),
            new ConfigError(f, "tokens[3] (d)", "sha256", "invalid sha256 of token 'd': expected 64 hex digits, got 3 characters"),
            new ConfigError(f, "tokens[5] (e)", "token", "the same token as tokens[4] (a): a token must name one author"),
            new ConfigError(f, "tokens[6] (f)", "token", "expected a string (in quotes), got number"),
            new ConfigError(f, "tokens[6] (f)", "extra", "unknown field 'extra' (known fields: name, role, roles, sha256, token)")));
  }

  @Test
  void duplicateNamesAreRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("t.yaml"), """
        tokens:
          - {name: a, role: viewer, token: one}
          - {name: a, role: editor, token: two}
        """);
    assertThatThrownBy(() -> AdminTokens.load(file)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
        .containsExactly(new ConfigError(file.toString(), "tokens[1] (a)", "name", "duplicate name: tokens[0] (a) has it too")));
  }

  @Test
  void emptyOrMalformedFilesAreRefused() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.yaml"), "tokens: []\n");
    assertThatThrownBy(() -> AdminTokens.load(empty)).isInstanceOf(ConfigException.class)
        .hasMessage(empty + ": ?: tokens: no tokens; expected at least one entry with name, role and token or sha256");
    Path broken = Files.writeString(dir.resolve("broken.yaml"), "tokens:\n  - name: [a\n");
    assertThatThrownBy(() -> AdminTokens.load(broken)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(broken + ":3: ?: not valid YAML: ");
    Path other = Files.writeString(dir.resolve("other.yaml"), "users: []\ntokens:\n  - {name: a, role: viewer, token: t}\n");
    assertThatThrownBy(() -> AdminTokens.load(other)).isInstanceOf(ConfigException.class)
        .hasMessage(other + ": ?: users: unknown field 'users' (known fields: tokens)");
    assertThatThrownBy(() -> AdminTokens.load(dir.resolve("missing.yaml"))).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void aTokenCarriesSeveralRolesListedUnderRoles() throws Exception {
    Path file = Files.writeString(dir.resolve("roles.yaml"), """
        tokens:
          - {name: alice, roles: [editor, reviewer], token: a-secret}
          - {name: root, role: admin, token: r-secret}
        """);
    List<AdminToken> tokens = AdminTokens.load(file);
    assertThat(tokens.get(0).roles()).containsExactly(AdminToken.Role.EDITOR, AdminToken.Role.REVIEWER);
    assertThat(tokens.get(0).toString()).isEqualTo("AdminToken[alice, editor+reviewer]");
    assertThat(tokens.get(0).allows(AdminToken.Role.REVIEWER)).isTrue();
    assertThat(tokens.get(0).allows(AdminToken.Role.ADMIN)).isFalse();
    assertThat(tokens.get(1).roles()).containsExactly(AdminToken.Role.ADMIN);
    assertThat(tokens.get(1).allows(AdminToken.Role.REVIEWER)).isTrue();
    assertThat(tokens.get(1).allows(AdminToken.Role.EDITOR)).isTrue();
  }

  @Test
  void badRoleListsAreRefusedNamingTheField() throws Exception {
    Path file = Files.writeString(dir.resolve("bad-roles.yaml"), """
        tokens:
          - {name: a, roles: [], token: one}
          - {name: b, roles: [editor, owner], token: two}
          - {name: c, role: viewer, roles: [editor], token: three}
          - {name: d, roles: [editor, editor], token: four}
          - {name: e, token: five}
        """);
    String f = file.toString();
    assertThatThrownBy(() -> AdminTokens.load(file))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).containsExactly(
            new ConfigError(f, "tokens[0] (a)", "roles", "expected a list of one or more of viewer, editor, reviewer, admin"),
            new ConfigError(f, "tokens[1] (b)", "roles[1]", "expected viewer, editor, reviewer, admin, got 'owner'"),
            new ConfigError(f, "tokens[2] (c)", "role", "give either role or roles, not both"),
            new ConfigError(f, "tokens[3] (d)", "roles[1]", "'editor' is listed twice"),
            new ConfigError(f, "tokens[4] (e)", "role", "missing; expected role (one of viewer, editor, reviewer, admin) or roles (a list of them)")));
  }
}
