package io.sluice.filters.common;

import io.sluice.api.Kind;
import io.sluice.api.ObjectRef;
import io.sluice.api.filter.FilterConfigValidator.Reference;
import java.util.ArrayList;
import java.util.List;

/** The {@code consumers} allow-list of the authentication filters. */
public final class ConsumerRefs {
  private ConsumerRefs() {}

  /** The Consumers a {@code consumers} list names, each with its field. */
  public static List<Reference> of(List<String> consumers) {
    List<Reference> refs = new ArrayList<>(consumers.size());
    for (int i = 0; i < consumers.size(); i++) {
      refs.add(new Reference("consumers[" + i + "]", new ObjectRef(Kind.CONSUMER, consumers.get(i))));
    }
    return refs;
  }
}
