package io.sluice.api;

/**
 * The {@code spec} of a configuration object: what the object is, as the operator wrote it. Each
 * {@link Kind} names the record its spec binds to.
 */
public interface Spec {}
