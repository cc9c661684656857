package io.sluice.server;

import io.sluice.admin.AdminToken;
import io.sluice.admin.ChangeReview;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** {@code serve}'s options of the change workflow (README "Review changes"). */
final class ChangeReviewFlags {
  @Option(names = "--change-review",
      description = "configuration changes only through approved change requests (sluice propose, approve, publish); needs --admin-tokens")
  boolean required;

  @Option(names = "--change-review-approvals", paramLabel = "N",
      description = "approvals from reviewers other than the author a change request needs before it is published, 1 to 10 (default: 1)")
  @Nullable Integer approvals;

  /** The settings, or null after printing what is wrong with them. */
  @Nullable ChangeReview settings(List<AdminToken> tokens) {
    int n = approvals == null ? 1 : approvals;
    if (n < 1 || n > 10) {
      System.err.println("sluice serve: --change-review-approvals must be from 1 to 10, got " + n);
      return null;
    }
    if (required && tokens.isEmpty()) {
      System.err.println("sluice serve: --change-review needs --admin-tokens FILE: without tokens every caller is 'local',"
          + " and nobody may approve their own change");
      return null;
    }
    return new ChangeReview(required, n);
  }
}
