package io.sluice.store;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where a fleet keeps its config canary: at most one {@link Canary} runs at a time, and each that
 * ended is kept with its {@link CanaryOutcome}. Separate from {@link ConfigStore}: a canary is not a
 * revision, so the store's revisions stay linear and gap-free, and only a promotion writes one.
 *
 * <p>Implementation: {@code io.sluice.store.etcd.EtcdCanaries}. The embedded store has none: a node
 * alone has no other nodes to compare a canary with.
 *
 * <p>Thread-safe; every method may block on the store.
 */
public interface Canaries extends AutoCloseable {
  /**
   * The canary running now, or null.
   *
   * @throws StoreException when the store cannot be read
   */
  @Nullable Canary active();

  /**
   * Makes {@code canary} the running one.
   *
   * @throws StoreConflictException ({@code ALREADY_EXISTS}) when one runs already
   */
  void start(Canary canary) throws StoreConflictException;

  /**
   * Ends the running canary if it is {@code outcome.id()}: removes it and records the outcome, in one step.
   *
   * @return false when that canary is not running (another caller ended it first)
   */
  boolean finish(CanaryOutcome outcome);

  /** The canaries that ended, oldest first, at most {@code limit} of the latest. */
  List<CanaryOutcome> finished(int limit);

  @Override
  void close();
}
