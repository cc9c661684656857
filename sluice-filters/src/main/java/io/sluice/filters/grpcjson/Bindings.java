package io.sluice.filters.grpcjson;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP bindings of the exposed services of a descriptor set: for each unary or server-streaming
 * method, its {@code google.api.http} rules (with their additional bindings) and always
 * {@code POST /package.Service/Method} with the whole message as the JSON body. Built once per
 * configuration; immutable and thread-safe.
 */
final class Bindings {
  /** The field number of the {@code google.api.http} extension of {@code MethodOptions}. */
  private static final int HTTP_EXTENSION = 72295728;

  /**
   * One way to call a method over HTTP.
   *
   * @param httpMethod the upper-case HTTP method
   * @param template the path template
   * @param body {@code *}, a top-level field name of the input, or empty for no body
   * @param method the gRPC method
   */
  record Binding(String httpMethod, PathTemplate template, String body, MethodDescriptor method) {
    /** The upstream path: {@code /package.Service/Method}. */
    String grpcPath() {
      return "/" + method.getService().getFullName() + "/" + method.getName();
    }
  }

  /** Thrown when the descriptors or their rules are not usable; the message names the problem. */
  static final class InvalidBindingsException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String field;

    InvalidBindingsException(String field, String message) {
      super(message);
      this.field = field;
    }

    /** The config field the problem is about ({@code services[1]}, or {@code descriptorSetFile}). */
    String field() {
      return field;
    }
  }

  private final List<Binding> bindings;

  private Bindings(List<Binding> bindings) {
    this.bindings = bindings;
  }

  /** The bindings in match order: annotated rules first, then the {@code POST /Service/Method} forms. */
  List<Binding> all() {
    return bindings;
  }

  /**
   * Builds the bindings of {@code services} from the bytes of a {@code FileDescriptorSet}.
   *
   * @param source the config field the bytes came from, for messages
   * @throws InvalidBindingsException naming the field and the problem
   */
  static Bindings of(byte[] descriptorSet, String source, List<String> services) throws InvalidBindingsException {
    Map<String, FileDescriptor> files = link(descriptorSet, source);
    List<Binding> annotated = new ArrayList<>();
    List<Binding> plain = new ArrayList<>();
    for (int i = 0; i < services.size(); i++) {
      String name = services.get(i);
      String field = "services[" + i + "]";
      ServiceDescriptor service = null;
      for (FileDescriptor f : files.values()) {
        for (ServiceDescriptor s : f.getServices()) if (s.getFullName().equals(name)) service = s;
      }
      if (service == null) {
        throw new InvalidBindingsException(field, "service '" + name + "' is not in the descriptor set (" + source
            + "); expected a fully qualified name such as package.Service");
      }
      for (MethodDescriptor m : service.getMethods()) {
        if (m.isClientStreaming()) continue;
        String where = field + " (" + name + "." + m.getName() + ", google.api.http)";
        for (ByteString rule : m.toProto().getOptions().getUnknownFields().getField(HTTP_EXTENSION).getLengthDelimitedList()) {
          addRule(rule, m, where, annotated, true);
        }
        plain.add(new Binding("POST", PathTemplate.parse("/" + name + "/" + m.getName()), "*", m));
      }
    }
    List<Binding> all = new ArrayList<>(annotated);
    all.addAll(plain);
    return new Bindings(List.copyOf(all));
  }

  private static Map<String, FileDescriptor> link(byte[] bytes, String source) throws InvalidBindingsException {
    FileDescriptorSet set;
    try {
      set = FileDescriptorSet.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidBindingsException(source, "not a FileDescriptorSet (" + e.getMessage()
          + "); expected the output of protoc --descriptor_set_out --include_imports");
    }
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    for (FileDescriptorProto p : set.getFileList()) protos.put(p.getName(), p);
    Map<String, FileDescriptor> linked = new LinkedHashMap<>();
    for (FileDescriptorProto p : set.getFileList()) linkOne(p.getName(), protos, linked, source, 0);
    return linked;
  }

  private static FileDescriptor linkOne(String name, Map<String, FileDescriptorProto> protos,
      Map<String, FileDescriptor> linked, String source, int depth) throws InvalidBindingsException {
    FileDescriptor done = linked.get(name);
    if (done != null) return done;
    FileDescriptorProto p = protos.get(name);
    if (p == null) {
      throw new InvalidBindingsException(source, "the descriptor set lacks the imported file '" + name
          + "'; build it with protoc --include_imports");
    }
    if (depth > protos.size()) throw new InvalidBindingsException(source, "the descriptor set's imports form a cycle at '" + name + "'");
    List<FileDescriptor> deps = new ArrayList<>();
    for (String d : p.getDependencyList()) deps.add(linkOne(d, protos, linked, source, depth + 1));
    try {
      FileDescriptor f = FileDescriptor.buildFrom(p, deps.toArray(new FileDescriptor[0]));
      linked.put(name, f);
      return f;
    } catch (DescriptorValidationException e) {
      throw new InvalidBindingsException(source, "file '" + name + "' of the descriptor set is invalid: " + e.getMessage());
    }
  }

  private static void addRule(ByteString bytes, MethodDescriptor m, String where, List<Binding> out, boolean top)
      throws InvalidBindingsException {
    UnknownFieldSet rule;
    try {
      rule = UnknownFieldSet.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidBindingsException(where, "the http rule cannot be read: " + e.getMessage());
    }
    String httpMethod = null;
    String path = null;
    String[] names = {null, null, "GET", "PUT", "POST", "DELETE", "PATCH"};
    for (int n = 2; n <= 6; n++) {
      String v = string(rule, n);
      if (v != null) {
        httpMethod = names[n];
        path = v;
      }
    }
    ByteString custom = first(rule, 8);
    if (custom != null) {
      try {
        UnknownFieldSet c = UnknownFieldSet.parseFrom(custom);
        String kind = string(c, 1);
        httpMethod = kind == null ? null : kind.toUpperCase(Locale.ROOT);
        path = string(c, 2);
      } catch (InvalidProtocolBufferException e) {
        throw new InvalidBindingsException(where, "the custom pattern cannot be read: " + e.getMessage());
      }
    }
    if (httpMethod == null || path == null) {
      throw new InvalidBindingsException(where, "the http rule has no pattern; expected one of get, put, post, delete, patch, custom");
    }
    if (!httpMethod.matches("[A-Z]+")) throw new InvalidBindingsException(where, "invalid HTTP method '" + httpMethod + "'");
    PathTemplate template;
    try {
      template = PathTemplate.parse(path);
    } catch (IllegalArgumentException e) {
      throw new InvalidBindingsException(where, String.valueOf(e.getMessage()));
    }
    Descriptor input = m.getInputType();
    for (PathTemplate.Variable v : template.variables()) {
      FieldDescriptor f = resolve(input, v.fieldPath());
      if (f == null || f.isRepeated() || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        throw new InvalidBindingsException(where, "path variable '" + v.fieldPath() + "' of '" + path
            + "' is not a singular scalar field of " + input.getFullName());
      }
    }
    String body = string(rule, 7);
    if (body == null) body = "";
    if (!body.isEmpty() && !body.equals("*")) {
      FieldDescriptor f = input.findFieldByName(body);
      if (f == null || f.isRepeated()) {
        throw new InvalidBindingsException(where, "body '" + body + "' is not a singular top-level field of " + input.getFullName());
      }
    }
    out.add(new Binding(httpMethod, template, body, m));
    if (top) {
      for (ByteString extra : rule.getField(11).getLengthDelimitedList()) addRule(extra, m, where + ".additional_bindings", out, false);
    } else if (!rule.getField(11).getLengthDelimitedList().isEmpty()) {
      throw new InvalidBindingsException(where, "additional_bindings cannot be nested");
    }
  }

  /** The field at a dotted path ({@code sub.name}), or null when there is none. */
  static @Nullable FieldDescriptor resolve(Descriptor type, String fieldPath) {
    Descriptor t = type;
    FieldDescriptor f = null;
    for (String part : fieldPath.split("\\.")) {
      if (t == null) return null;
      f = t.findFieldByName(part);
      if (f == null) return null;
      t = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated() ? f.getMessageType() : null;
    }
    return f;
  }

  private static @Nullable String string(UnknownFieldSet set, int number) {
    ByteString b = first(set, number);
    return b == null ? null : b.toString(StandardCharsets.UTF_8);
  }

  private static @Nullable ByteString first(UnknownFieldSet set, int number) {
    if (!set.hasField(number)) return null;
    List<ByteString> values = set.getField(number).getLengthDelimitedList();
    return values.isEmpty() ? null : values.get(values.size() - 1);
  }
}
