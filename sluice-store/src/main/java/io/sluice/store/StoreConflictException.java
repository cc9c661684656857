package io.sluice.store;

import java.util.List;

/**
 * A change set was refused because of the store's state, not because it is invalid: a
 * compare-and-set precondition failed, the object already exists or is missing, or a deleted
 * object is still referred to. Nothing was written.
 */
public final class StoreConflictException extends Exception {
  /** Why: the admin API answers 404 for {@code NOT_FOUND} and 409 for the others. */
  public enum Reason { REVISION_MISMATCH, ALREADY_EXISTS, NOT_FOUND, REFERENCED }

  private final Reason reason;
  private final List<String> details;

  /**
   * @param reason the reason of the first problem found (a change set can fail several preconditions
   *     at once; every one of them is in {@code details})
   * @param details one line per problem, each naming the objects involved, e.g.
   *     {@code Upstream/orders is referred to by Route/orders-api, Route/orders-admin}
   */
  public StoreConflictException(Reason reason, List<String> details) {
    super(String.join("; ", details));
    this.reason = reason;
    this.details = List.copyOf(details);
  }

  public Reason reason() {
    return reason;
  }

  public List<String> details() {
    return details;
  }
}
