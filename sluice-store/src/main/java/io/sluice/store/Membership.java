package io.sluice.store;

import java.util.List;

/**
 * The nodes of a fleet, each registered by itself, independent of how the configuration is stored:
 * the admin API lists them without knowing etcd. A node publishes its own {@link NodeRecord} when
 * it starts and again whenever something in it changes (its applied revision, its last apply
 * error); its record disappears when it closes its membership, or, when the node dies, once the
 * registration expires ({@code EtcdMembership}: a lease of a few seconds).
 *
 * <p>Implementations: {@link #local()} (the embedded store: the fleet is this node) and
 * {@code io.sluice.store.etcd.EtcdMembership} (every node of one etcd prefix).
 *
 * <p>Thread-safe: {@link #publish} and {@link #nodes} may be called from any thread.
 */
public interface Membership extends AutoCloseable {
  /**
   * Makes {@code self} this node's record. The first call registers the node; later calls replace
   * the record when it differs. Does not block on the network: a record that cannot be written now
   * is written once the store can be reached again.
   *
   * @throws IllegalArgumentException when {@code self} names another node than an earlier call did
   */
  void publish(NodeRecord self);

  /**
   * Every node registered now, sorted by id; this node's last published record among them.
   *
   * @throws StoreException when the registrations cannot be read
   */
  List<NodeRecord> nodes();

  /** Removes this node's record (a node that stops leaves the fleet at once) and releases what the membership holds. */
  @Override
  void close();

  /** The membership of a node alone (the embedded SQLite store): {@link #nodes()} is the record last published. */
  static Membership local() {
    return new Membership() {
      private volatile @org.jspecify.annotations.Nullable NodeRecord self;

      @Override
      public void publish(NodeRecord record) {
        NodeRecord before = self;
        if (before != null && !before.id().equals(record.id())) {
          throw new IllegalArgumentException("this membership is node '" + before.id() + "'s, got a record of '" + record.id() + "'");
        }
        self = record;
      }

      @Override
      public List<NodeRecord> nodes() {
        NodeRecord s = self;
        return s == null ? List.of() : List.of(s);
      }

      @Override
      public void close() {
        self = null;
      }
    };
  }
}
