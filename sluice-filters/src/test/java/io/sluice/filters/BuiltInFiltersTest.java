package io.sluice.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.filter.FilterConfigValidator;
import io.sluice.proxy.filter.internal.FilterRegistry;
import org.junit.jupiter.api.Test;

class BuiltInFiltersTest {
  @Test
  void everyBuiltInFilterIsRegisteredTheSpiTestKindsAreNotAndTheValidatorSeesThem() {
    // Other packages of this module add their own kinds too.
    assertThat(FilterRegistry.installed().kinds()).contains(
        "basic-auth", "body-limit", "concurrency-limit", "cors", "header", "ip-restriction", "key-auth",
        "rate-limit", "redirect", "rewrite", "static-response");
    assertThat(FilterRegistry.installed().kinds()).noneMatch(k -> k.startsWith("test-"));
    assertThat(FilterConfigValidator.installed().kinds()).isEqualTo(FilterRegistry.installed().kinds());
  }
}
