package io.sluice.filters.bodylimit;

import io.sluice.api.ByteSize;
import org.jspecify.annotations.Nullable;

/**
 * The {@code body-limit} filter's config.
 *
 * @param maxSize the largest request body allowed; required
 */
public record BodyLimitConfig(@Nullable ByteSize maxSize) {}
