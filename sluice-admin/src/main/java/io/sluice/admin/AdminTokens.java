package io.sluice.admin;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.sluice.admin.internal.Wire;
import io.sluice.api.ConfigError;
import io.sluice.api.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the admin tokens file ({@code --admin-tokens FILE}):
 *
 * <pre>{@code
 * tokens:
 *   - name: ci-bot
 *     role: editor                 # viewer, editor, reviewer or admin (docs/security.md "Roles")
 *     token: "s3cr3t-value"        # or  sha256: "<hex of the token's SHA-256>"
 *   - name: alice
 *     roles: [editor, reviewer]    # several roles: a list under roles instead of role
 *     sha256: "..."
 * }</pre>
 *
 * <p>Strict: unknown fields, a missing or unknown role, both or neither of {@code role} and
 * {@code roles}, an empty roles list, both or neither of {@code token} and
 * {@code sha256}, a non-string value, duplicate names and duplicate tokens are errors, every one
 * reported, each naming the file, the entry ({@code tokens[1] (ci-bot)}) and the field.
 */
public final class AdminTokens {
  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build());
  private static final Set<String> ENTRY_FIELDS = new TreeSet<>(List.of("name", "role", "roles", "token", "sha256"));

  private AdminTokens() {}

  /**
   * Reads the tokens in {@code file}.
   *
   * @throws IOException when the file cannot be read
   * @throws ConfigException with every problem found in it; no token is returned then
   */
  public static List<AdminToken> load(Path file) throws IOException, ConfigException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    return parse(file.toString(), text);
  }

  /** Like {@link #load}, for a text already read; {@code source} names it in errors. */
  public static List<AdminToken> parse(String source, String text) throws ConfigException {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      Wire.SyntaxProblem p = Wire.syntaxProblem(e);
      throw new ConfigException(List.of(new ConfigError(source + (p.line() > 0 ? ":" + p.line() : ""), "?", "",
          "not valid YAML: " + p.message())));
    }
    List<ConfigError> errors = new ArrayList<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException(List.of(new ConfigError(source, "?", "tokens", "the file is empty; expected a list of tokens")));
    }
    if (!root.isObject()) {
      throw new ConfigException(List.of(new ConfigError(source, "?", "", "expected a map with a 'tokens' list")));
    }
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      if (!e.getKey().equals("tokens")) {
        errors.add(new ConfigError(source, "?", e.getKey(), "unknown field '" + e.getKey() + "' (known fields: tokens)"));
      }
    }
    JsonNode list = root.path("tokens");
    if (!list.isArray() || list.isEmpty()) {
      errors.add(new ConfigError(source, "?", "tokens", list.isArray() || list.isMissingNode() || list.isNull()
          ? "no tokens; expected at least one entry with name, role and token or sha256"
          : "expected a list of tokens"));
      throw new ConfigException(errors);
    }
    List<AdminToken> tokens = new ArrayList<>();
    Map<String, String> entryByName = new HashMap<>();
    Map<String, String> entryByDigest = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode n = list.get(i);
      String name = n.path("name").isTextual() ? n.path("name").asText() : null;
      String entry = "tokens[" + i + "]" + (name == null ? "" : " (" + name + ")");
      int before = errors.size();
      if (!n.isObject()) {
        errors.add(new ConfigError(source, entry, "", "expected a map with name, role and token or sha256"));
        continue;
      }
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        if (!ENTRY_FIELDS.contains(e.getKey())) {
          errors.add(new ConfigError(source, entry, e.getKey(),
              "unknown field '" + e.getKey() + "' (known fields: " + String.join(", ", ENTRY_FIELDS) + ")"));
        } else if (e.getKey().equals("roles")) {
          if (!e.getValue().isArray() || e.getValue().isEmpty()) {
            errors.add(new ConfigError(source, entry, "roles", "expected a list of one or more of " + AdminToken.Role.names()));
          }
        } else if (!e.getValue().isTextual()) {
          errors.add(new ConfigError(source, entry, e.getKey(), "expected a string (in quotes), got " + e.getValue().getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
      }
      if (errors.size() > before) continue;
      if (name == null || name.isEmpty()) {
        errors.add(new ConfigError(source, entry, "name", "missing; every token needs a name, recorded as the author of its changes"));
      }
      java.util.EnumSet<AdminToken.Role> roles = java.util.EnumSet.noneOf(AdminToken.Role.class);
      if (n.has("role") == n.has("roles")) {
        errors.add(new ConfigError(source, entry, "role", n.has("role")
            ? "give either role or roles, not both"
            : "missing; expected role (one of " + AdminToken.Role.names() + ") or roles (a list of them)"));
      } else if (n.has("role")) {
        role(n.path("role"), source, entry, "role", roles, errors);
      } else {
        for (int j = 0; j < n.path("roles").size(); j++) role(n.path("roles").get(j), source, entry, "roles[" + j + "]", roles, errors);
      }
      boolean hasToken = n.has("token");
      boolean hasDigest = n.has("sha256");
      if (hasToken == hasDigest) {
        errors.add(new ConfigError(source, entry, hasToken ? "sha256" : "token",
            hasToken ? "give either token or sha256, not both" : "missing; expected token (the secret) or sha256 (its SHA-256 in hex)"));
      } else if (hasToken && n.path("token").asText().isEmpty()) {
        errors.add(new ConfigError(source, entry, "token", "empty; expected the secret"));
      }
      if (errors.size() > before) continue;
      AdminToken token;
      // both were checked above: an entry without them has errors and was skipped
      Objects.requireNonNull(name);
      try {
        token = hasToken
            ? AdminToken.ofSecret(name, roles, n.path("token").asText())
            : new AdminToken(name, roles, n.path("sha256").asText());
      } catch (IllegalArgumentException e) {
        String message = String.valueOf(e.getMessage());
        errors.add(new ConfigError(source, entry, hasDigest && message.startsWith("invalid sha256") ? "sha256" : "name", message));
        continue;
      }
      String sameName = entryByName.putIfAbsent(token.name(), entry);
      if (sameName != null) {
        errors.add(new ConfigError(source, entry, "name", "duplicate name: " + sameName + " has it too"));
        continue;
      }
      String sameDigest = entryByDigest.putIfAbsent(token.sha256(), entry);
      if (sameDigest != null) {
        errors.add(new ConfigError(source, entry, hasToken ? "token" : "sha256",
            "the same token as " + sameDigest + ": a token must name one author"));
        continue;
      }
      tokens.add(token);
    }
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return List.copyOf(tokens);
  }

  /** Adds the role {@code value} names to {@code roles}, or an error naming {@code field}. */
  private static void role(JsonNode value, String source, String entry, String field, java.util.Set<AdminToken.Role> roles,
      List<ConfigError> errors) {
    AdminToken.Role role = value.isTextual() ? AdminToken.Role.fromName(value.asText()) : null;
    if (role == null) {
      errors.add(new ConfigError(source, entry, field, "expected " + AdminToken.Role.names() + ", got '"
          + (value.isTextual() ? value.asText() : value.toString()) + "'"));
    } else if (!roles.add(role)) {
      errors.add(new ConfigError(source, entry, field, "'" + role.displayName() + "' is listed twice"));
    }
  }
}
