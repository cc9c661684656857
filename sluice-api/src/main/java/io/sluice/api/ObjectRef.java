package io.sluice.api;

import java.util.Objects;

/** The identity of an object: its kind and name. Printed as {@code Kind/name}. */
public record ObjectRef(Kind kind, String name) implements Comparable<ObjectRef> {
  public ObjectRef {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
  }

  public static ObjectRef of(ConfigObject<?> o) {
    return new ObjectRef(o.kind(), o.name());
  }

  @Override
  public int compareTo(ObjectRef o) {
    int c = kind.compareTo(o.kind);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return kind.displayName() + "/" + name;
  }
}
