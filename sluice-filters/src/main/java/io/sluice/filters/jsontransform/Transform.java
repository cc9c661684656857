package io.sluice.filters.jsontransform;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One side's edits ({@link JsonTransformConfig.Edits}), compiled once: pointers split into tokens,
 * operations in the order they apply (rename, remove, set). Immutable and thread-safe; each
 * {@link #apply} works on its own parsed tree.
 */
final class Transform {
  /**
   * Parses bodies exactly enough to write back what was not edited: decimals as written
   * ({@code 1.10} stays {@code 1.10}), big integers whole; trailing content makes a body invalid.
   */
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .build();

  /** RFC 6901: "~" is only "~0" or "~1"; Jackson would read a lone one literally. */
  private static final Pattern BAD_ESCAPE = Pattern.compile("~(?![01])");

  private final List<Op> ops;

  private Transform(List<Op> ops) {
    this.ops = ops;
  }

  static Transform of(JsonTransformConfig.Edits e) {
    List<Op> ops = new ArrayList<>();
    e.rename().forEach((p, name) -> ops.add(new Op(Kind.RENAME, tokens(p), name, null)));
    e.remove().forEach(p -> ops.add(new Op(Kind.REMOVE, tokens(p), null, null)));
    e.set().forEach((p, v) -> ops.add(new Op(Kind.SET, tokens(p), null, v)));
    return new Transform(List.copyOf(ops));
  }

  /**
   * Checks a pointer of the config.
   *
   * @return what is wrong with it, or null when it is a pointer to a member or element (not the
   *     whole document)
   */
  static @Nullable String problem(@Nullable String pointer) {
    if (pointer == null || pointer.isEmpty()) return "the whole document; expected a pointer to a member such as /a/b";
    if (!pointer.startsWith("/")) return "invalid JSON pointer '" + pointer + "'; expected one starting with / such as /a/b";
    if (BAD_ESCAPE.matcher(pointer).find()) {
      return "invalid JSON pointer '" + pointer + "': '~' must be written ~0 and '/' in a name ~1";
    }
    try {
      JsonPointer.compile(pointer);
      return null;
    } catch (IllegalArgumentException x) {
      return "invalid JSON pointer '" + pointer + "': " + x.getMessage();
    }
  }

  private static List<Token> tokens(String pointer) {
    List<Token> tokens = new ArrayList<>();
    for (JsonPointer p = JsonPointer.compile(pointer); !p.matches(); p = p.tail()) {
      tokens.add(new Token(p.getMatchingProperty(), p.getMatchingIndex()));
    }
    return List.copyOf(tokens);
  }

  /**
   * Applies the edits to a body. Must not be called with a body that may change meanwhile.
   *
   * @return the edited document as UTF-8 JSON; null when the body is not one JSON object or array
   *     (invalid, empty, a scalar) or when no edit changed it, so that it is sent as it came
   */
  byte @Nullable [] apply(ByteBuffer body) {
    JsonNode root;
    try (InputStream in = new ByteBufferBackedInputStream(body.duplicate())) {
      root = MAPPER.readTree(in);
    } catch (JacksonException x) {
      return null;
    } catch (IOException x) {
      // Only a JacksonException can come out of reading memory; kept apart so that a real I/O bug is not hidden.
      throw new IllegalStateException("reading a buffered body failed", x);
    }
    if (root == null || !root.isContainerNode()) return null;
    boolean changed = false;
    for (Op op : ops) changed |= op.apply(root);
    if (!changed) return null;
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (JacksonException x) {
      throw new IllegalStateException("writing an edited JSON body failed", x);
    }
  }

  private enum Kind { RENAME, REMOVE, SET }

  /** One reference token: the member name, and its array index (or -1 when it is not one). */
  private record Token(String name, int index) {}

  private record Op(Kind kind, List<Token> path, @Nullable String newName, @Nullable JsonNode value) {
    /** @return whether the document changed */
    boolean apply(JsonNode root) {
      JsonNode parent = parent(root);
      if (parent == null) return false;
      Token last = path.getLast();
      return switch (kind) {
        case RENAME -> parent instanceof ObjectNode o && rename(o, last.name(), Objects.requireNonNull(newName));
        case REMOVE -> remove(parent, last);
        case SET -> set(parent, last, Objects.requireNonNull(value));
      };
    }

    /** The container the last token is in; null when the path leaves the document (set: creates objects instead). */
    private @Nullable JsonNode parent(JsonNode root) {
      JsonNode n = root;
      for (int i = 0; i < path.size() - 1; i++) {
        Token t = path.get(i);
        JsonNode child;
        if (n instanceof ObjectNode o) {
          child = o.get(t.name());
          if (child == null && kind == Kind.SET) {
            child = o.putObject(t.name());
          }
        } else if (n instanceof ArrayNode a) {
          child = t.index() >= 0 && t.index() < a.size() ? a.get(t.index()) : null;
        } else {
          return null;
        }
        if (child == null || !child.isContainerNode()) return null;
        n = child;
      }
      return n;
    }

    private static boolean rename(ObjectNode o, String name, String newName) {
      if (!o.has(name) || name.equals(newName)) return false;
      // Rebuilt so that the member keeps its place; a member already named newName gives way.
      Map<String, JsonNode> members = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        if (e.getKey().equals(name)) {
          members.put(newName, e.getValue());
        } else if (!e.getKey().equals(newName)) {
          members.put(e.getKey(), e.getValue());
        }
      }
      o.removeAll();
      o.setAll(members);
      return true;
    }

    private static boolean remove(JsonNode parent, Token t) {
      if (parent instanceof ObjectNode o) return o.remove(t.name()) != null;
      ArrayNode a = (ArrayNode) parent;
      if (t.index() < 0 || t.index() >= a.size()) return false;
      a.remove(t.index());
      return true;
    }

    private static boolean set(JsonNode parent, Token t, JsonNode value) {
      if (parent instanceof ObjectNode o) {
        if (value.equals(o.get(t.name()))) return false;
        // A copy: the config's node is shared by every request, and a later edit may go inside it.
        o.set(t.name(), value.deepCopy());
        return true;
      }
      ArrayNode a = (ArrayNode) parent;
      if (t.name().equals("-") || t.index() == a.size()) {
        a.add(value.deepCopy());
        return true;
      }
      if (t.index() < 0 || t.index() > a.size()) return false;
      if (value.equals(a.get(t.index()))) return false;
      a.set(t.index(), value.deepCopy());
      return true;
    }
  }
}
