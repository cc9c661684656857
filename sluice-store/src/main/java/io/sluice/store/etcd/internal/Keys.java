package io.sluice.store.etcd.internal;

import io.etcd.jetcd.ByteSequence;
import io.sluice.api.ObjectRef;
import java.nio.charset.StandardCharsets;

/**
 * Where a store keeps what in etcd, under its cluster's prefix {@code P}:
 *
 * <ul>
 *   <li>{@code P/revision}: Sluice's own revision, decimal; every change set compares it and
 *       increments it in the same transaction, so two writers never both get a revision;
 *   <li>{@code P/objects/<kind>/<name>}: the current version of each object (deleted objects have no key);
 *   <li>{@code P/history/<kind>/<name>/<revision>}: every version of each object, deletions included;
 *   <li>{@code P/revisions/<revision>}: each revision whole (who, when, why, every object it put or
 *       deleted): what watches deliver;
 *   <li>{@code P/elections/<name>/...}: the candidates' keys of a leader election (etcd's election API,
 *       each key under its candidate's lease).
 *   <li>{@code P/canary}: the config canary running now, if any ({@code EtcdCanaries});
 *       {@code P/canaries/<id>}: each canary that ended, with how (ids sort by start time);
 *   <li>{@code P/changes/<id>}: each change request (README "Review changes"), its id padded like
 *       revisions; {@code P/change-id}: the highest id given, compared and incremented by the
 *       transaction that creates one;
 *   <li>{@code P/nodes/<id>}: each running node's registration ({@code EtcdMembership}), under a
 *       lease: it disappears when the node stops or dies. Nodes that may not write the
 *       configuration (etcd users of the data plane) need write access only to their own key here.
 * </ul>
 *
 * <p>Revisions in keys are zero-padded to 20 digits, so that key order is revision order. History
 * and revision keys are written once and never changed or deleted: etcd's compaction removes only
 * superseded values of a key, so it never loses any of them. Immutable.
 */
public final class Keys {
  private static final int DIGITS = 20;

  private final String prefix;

  /** @param prefix such as {@code /sluice/prod}, without a trailing slash */
  public Keys(String prefix) {
    this.prefix = prefix;
  }

  public ByteSequence revision() {
    return bytes(prefix + "/revision");
  }

  public ByteSequence objects() {
    return bytes(prefix + "/objects/");
  }

  public ByteSequence object(ObjectRef ref) {
    return bytes(prefix + "/objects/" + ref.kind().displayName() + "/" + ref.name());
  }

  public ByteSequence history() {
    return bytes(prefix + "/history/");
  }

  /** Every version of {@code ref}. */
  public ByteSequence history(ObjectRef ref) {
    return bytes(prefix + "/history/" + ref.kind().displayName() + "/" + ref.name() + "/");
  }

  public ByteSequence history(ObjectRef ref, long revision) {
    return bytes(prefix + "/history/" + ref.kind().displayName() + "/" + ref.name() + "/" + padded(revision));
  }

  public ByteSequence revisions() {
    return bytes(prefix + "/revisions/");
  }

  public ByteSequence revisionRecord(long revision) {
    return bytes(prefix + "/revisions/" + padded(revision));
  }

  /** Every node's registration. */
  public ByteSequence nodes() {
    return bytes(prefix + "/nodes/");
  }

  public ByteSequence node(String id) {
    return bytes(prefix + "/nodes/" + id);
  }

  /** The running config canary. */
  public ByteSequence canary() {
    return bytes(prefix + "/canary");
  }

  /** Every canary that ended. */
  public ByteSequence canaries() {
    return bytes(prefix + "/canaries/");
  }

  public ByteSequence canaryOutcome(String id) {
    return bytes(prefix + "/canaries/" + id);
  }

  /** Every change request. */
  public ByteSequence changeRequests() {
    return bytes(prefix + "/changes/");
  }

  /** Change request {@code id}; ids padded so that key order is id order. */
  public ByteSequence changeRequest(long id) {
    return bytes(prefix + "/changes/" + padded(id));
  }

  /** The highest change request id given so far, decimal. */
  public ByteSequence changeRequestId() {
    return bytes(prefix + "/change-id");
  }

  /** The end of the range of every key that starts with {@code start}: its last byte plus one. */
  public static ByteSequence rangeEnd(ByteSequence start) {
    byte[] b = start.getBytes();
    b[b.length - 1]++;
    return ByteSequence.from(b);
  }

  /** The revision a history or revision-record key ends with. */
  public static long revisionOf(ByteSequence key) {
    String k = key.toString(StandardCharsets.UTF_8);
    return Long.parseLong(k.substring(k.length() - DIGITS));
  }

  private static String padded(long revision) {
    String s = Long.toString(revision);
    return "0".repeat(DIGITS - s.length()) + s;
  }

  public static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return prefix;
  }

  /** The key prefix etcd's election API campaigns under for the election {@code name}. */
  public ByteSequence election(String name) {
    return bytes(prefix + "/elections/" + name);
  }
}
