package io.sluice.store.changes;

import io.sluice.store.Change;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A proposed change of the configuration, waiting for review before it is published (README
 * "Review changes"). Immutable; every state change is a new version written by
 * {@link ChangeRequests#update}.
 *
 * @param id the change request's number, from 1; 0 before {@link ChangeRequests#create} gives it one
 * @param version how often it was written, from 1; {@link ChangeRequests#update} compares it, so two
 *     reviewers never overwrite each other; 0 before it is created
 * @param title one line saying what the change does
 * @param description why, in as many lines as needed; may be empty
 * @param author the admin token's name that proposed it
 * @param created when it was proposed
 * @param state where it is in the workflow
 * @param baseRevision the store's revision the change was validated against (at proposal or rebase):
 *     it may be published only while that is still the live revision
 * @param changes what it puts and deletes, as a change set would; at most one change per object
 * @param reviews the approvals and rejections since the last rebase, oldest first
 * @param publishedRevision the revision publishing it created; 0 until it is published
 * @param publishedBy who published it; empty until it is published
 * @param canary the id of the latest config canary it was published as ({@link State#CANARY} while that runs); empty when
 *     it never was
 * @param canaryAbort why its latest canary was aborted (who, and the reason given or measured); empty when none was
 */
public record ChangeRequest(long id, long version, String title, String description, String author, Instant created, State state,
    long baseRevision, List<Change> changes, List<Review> reviews, long publishedRevision, String publishedBy, String canary,
    String canaryAbort) {

  /** Where a change request is in the workflow. */
  public enum State {
    /** Waiting for approvals. */
    OPEN,
    /** Has the approvals it needs: it may be published while its base is live. */
    APPROVED,
    /** A reviewer rejected it: it can never be published (propose a new one). */
    REJECTED,
    /** Applied as {@link #publishedRevision()}. */
    PUBLISHED,
    /**
     * Published as the config canary {@link #canary()}, which runs: promoting it publishes the change, aborting it makes it
     * {@link #APPROVED} again.
     */
    CANARY;

    /** {@code open}, {@code approved}, ... as the API and the CLI write it. */
    public String displayName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What a reviewer decided. */
  public enum Verdict {
    APPROVED,
    REJECTED;

    public String displayName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One reviewer's decision.
   *
   * @param reviewer the admin token's name
   * @param comment why; may be empty for an approval
   */
  public record Review(String reviewer, Verdict verdict, String comment, Instant time) {
    public Review {
      Objects.requireNonNull(reviewer, "reviewer");
      Objects.requireNonNull(verdict, "verdict");
      Objects.requireNonNull(comment, "comment");
      Objects.requireNonNull(time, "time");
    }
  }

  public ChangeRequest {
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(author, "author");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(publishedBy, "publishedBy");
    Objects.requireNonNull(canary, "canary");
    Objects.requireNonNull(canaryAbort, "canaryAbort");
    if (state == State.CANARY && canary.isEmpty()) throw new IllegalArgumentException("a change request in canary names its canary");
    changes = List.copyOf(changes);
    reviews = List.copyOf(reviews);
    if (id < 0) throw new IllegalArgumentException("id must be >= 0, got " + id);
    if (version < 0) throw new IllegalArgumentException("version must be >= 0, got " + version);
    if (baseRevision < 0) throw new IllegalArgumentException("baseRevision must be >= 0, got " + baseRevision);
    if (title.isBlank()) throw new IllegalArgumentException("the title of a change request must not be blank");
    if (changes.isEmpty()) throw new IllegalArgumentException("change request '" + title + "' changes nothing; expected at least one object or deletion");
    Set<io.sluice.api.ObjectRef> seen = new HashSet<>();
    for (Change c : changes) {
      if (!seen.add(c.ref())) throw new IllegalArgumentException(c.ref() + " appears more than once in change request '" + title + "'");
    }
  }

  /** A new change request, not yet stored: {@link ChangeRequests#create} gives it its id. */
  public static ChangeRequest proposed(String title, String description, String author, Instant created, long baseRevision,
      List<Change> changes) {
    return new ChangeRequest(0, 0, title, description, author, created, State.OPEN, baseRevision, changes, List.of(), 0, "", "", "");
  }

  /** The reviewers who approved it since the last rebase, in order. */
  public List<String> approvers() {
    return reviews.stream().filter(r -> r.verdict() == Verdict.APPROVED).map(Review::reviewer).toList();
  }

  /** This change request with {@code state} and {@code reviews}. */
  public ChangeRequest withReviews(State state, List<Review> reviews) {
    return new ChangeRequest(id, version, title, description, author, created, state, baseRevision, changes, reviews,
        publishedRevision, publishedBy, canary, canaryAbort);
  }

  /** This change request based on {@code revision}, open again with no reviews. */
  public ChangeRequest rebased(long revision) {
    return new ChangeRequest(id, version, title, description, author, created, State.OPEN, revision, changes, List.of(), 0, "", canary,
        canaryAbort);
  }

  /** This change request published as {@code revision} by {@code by}. */
  public ChangeRequest published(long revision, String by) {
    return new ChangeRequest(id, version, title, description, author, created, State.PUBLISHED, baseRevision, changes, reviews,
        revision, by, canary, canaryAbort);
  }

  /** This change request published as the config canary {@code canaryId}, which now runs. */
  public ChangeRequest inCanary(String canaryId) {
    return new ChangeRequest(id, version, title, description, author, created, State.CANARY, baseRevision, changes, reviews, 0, "",
        canaryId, "");
  }

  /** This change request approved again after its canary was aborted, {@code why} saying by whom and why. */
  public ChangeRequest canaryAborted(String why) {
    return new ChangeRequest(id, version, title, description, author, created, State.APPROVED, baseRevision, changes, reviews, 0, "",
        canary, why);
  }

  /** The same change request as stored under {@code id} at {@code version}. */
  public ChangeRequest stored(long id, long version) {
    return new ChangeRequest(id, version, title, description, author, created, state, baseRevision, changes, reviews,
        publishedRevision, publishedBy, canary, canaryAbort);
  }
}
