package io.sluice.filter.testing;

import java.util.Objects;

/** One header field as written: its name (in the case it was written in) and value. */
public record HeaderField(String name, String value) {
  public HeaderField {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
  }

  @Override
  public String toString() {
    return name + ": " + value;
  }
}
