package io.sluice.api.pipeline;

import io.sluice.api.ObjectRef;
import io.sluice.api.Spec;
import io.sluice.api.filter.FilterSpec;
import io.sluice.api.filter.FilterSpecs;
import java.util.List;

/**
 * A named, reusable filter chain that routes use with {@code pipeline: NAME} (Easegress' Pipeline).
 * Its filters run in order; a filter's named result may jump forward ({@code onResult}).
 *
 * <pre>{@code
 * spec:
 *   filters:
 *     - {kind: key-auth, name: key, onResult: {unauthorized: basic}}
 *     - {kind: basic-auth, name: basic}
 *     - {kind: rate-limit, config: {key: consumer, requests: 10}}
 * }</pre>
 *
 * @param filters at least one
 */
public record PipelineSpec(List<FilterSpec> filters) implements Spec {
  public PipelineSpec {
    filters = filters == null ? List.of() : List.copyOf(filters);
  }

  @Override
  public List<ObjectRef> references() {
    return FilterSpecs.references(filters);
  }
}
