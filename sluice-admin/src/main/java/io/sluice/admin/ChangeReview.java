package io.sluice.admin;

/**
 * The change workflow's settings ({@code sluice serve --change-review}, README "Review changes").
 *
 * @param required true: the configuration changes only by publishing approved change requests; every
 *     direct write (apply, rollback, object edits) is refused with 409 {@code review_required}. False
 *     (the default): direct writes work, and change requests may still be used
 * @param approvals how many reviewers other than the author must approve a change request before it
 *     may be published, 1 to 10
 */
public record ChangeReview(boolean required, int approvals) {
  /** Off, one approval for the change requests that are used anyway. */
  public static final ChangeReview OFF = new ChangeReview(false, 1);

  public ChangeReview {
    if (approvals < 1 || approvals > 10) {
      throw new IllegalArgumentException("approvals must be from 1 to 10, got " + approvals);
    }
  }
}
