package io.sluice.store.etcd.internal;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.sluice.store.StoreConflictException;
import io.sluice.store.StoreException;
import io.sluice.store.changes.ChangeRequest;
import io.sluice.store.changes.ChangeRequestJson;
import io.sluice.store.changes.ChangeRequests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The etcd store's change requests: each one JSON value under {@code P/changes/<id>} (see
 * {@link Keys}), written by one transaction per state change. Creating one compares and increments
 * {@code P/change-id} in the transaction that writes it, so two nodes never give out the same id; an
 * update compares the key's etcd version, which is the change request's {@link ChangeRequest#version()}.
 * Thread-safe; on the store's client.
 */
public final class EtcdChangeRequests implements ChangeRequests {
  /** How often creating one reads the id again when other writers keep taking it. */
  private static final int MAX_ATTEMPTS = 100;

  private final Client client;
  private final Keys keys;
  private final Duration timeout;
  private final String where;

  public EtcdChangeRequests(Client client, Keys keys, Duration timeout, String where) {
    this.client = client;
    this.keys = keys;
    this.timeout = timeout;
    this.where = where;
  }

  @Override
  public ChangeRequest create(ChangeRequest proposed) {
    Objects.requireNonNull(proposed, "proposed");
    if (proposed.id() != 0 || proposed.version() != 0) {
      throw new IllegalArgumentException("a new change request has id and version 0, got id " + proposed.id() + ", version " + proposed.version());
    }
    ByteSequence doc = Keys.bytes(ChangeRequestJson.write(proposed));
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      GetResponse r = get(keys.changeRequestId(), GetOption.DEFAULT, "reading the last change request id");
      KeyValue last = r.getKvs().isEmpty() ? null : r.getKvs().getFirst();
      long id = last == null ? 1 : Long.parseLong(last.getValue().toString(StandardCharsets.UTF_8)) + 1;
      Cmp unchanged = last == null
          ? new Cmp(keys.changeRequestId(), Cmp.Op.EQUAL, CmpTarget.version(0))
          : new Cmp(keys.changeRequestId(), Cmp.Op.EQUAL, CmpTarget.modRevision(last.getModRevision()));
      TxnResponse t = Calls.await(client.getKVClient().txn()
          .If(unchanged)
          .Then(Op.put(keys.changeRequestId(), Keys.bytes(Long.toString(id)), PutOption.DEFAULT),
              Op.put(keys.changeRequest(id), doc, PutOption.DEFAULT))
          .commit(), timeout, "writing change request " + id, where);
      if (t.isSucceeded()) return proposed.stored(id, 1);
    }
    throw new StoreException("cannot write a change request: other writers took " + MAX_ATTEMPTS + " ids in a row");
  }

  @Override
  public @Nullable ChangeRequest get(long id) {
    GetResponse r = get(keys.changeRequest(id), GetOption.DEFAULT, "reading change request " + id);
    if (r.getKvs().isEmpty()) return null;
    KeyValue kv = r.getKvs().getFirst();
    return ChangeRequestJson.read(id, kv.getVersion(), kv.getValue().toString(StandardCharsets.UTF_8));
  }

  @Override
  public List<ChangeRequest> list() {
    GetResponse r = get(keys.changeRequests(), GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.KEY)
        .withSortOrder(GetOption.SortOrder.ASCEND).build(), "reading the change requests");
    List<ChangeRequest> out = new ArrayList<>();
    for (KeyValue kv : r.getKvs()) {
      out.add(ChangeRequestJson.read(Keys.revisionOf(kv.getKey()), kv.getVersion(), kv.getValue().toString(StandardCharsets.UTF_8)));
    }
    return out;
  }

  @Override
  public ChangeRequest update(ChangeRequest changed) throws StoreConflictException {
    Objects.requireNonNull(changed, "changed");
    if (changed.id() < 1 || changed.version() < 1) {
      throw new IllegalArgumentException("update a change request read from the store (id and version from 1), got id "
          + changed.id() + ", version " + changed.version());
    }
    ByteSequence key = keys.changeRequest(changed.id());
    TxnResponse t = Calls.await(client.getKVClient().txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(changed.version())))
        .Then(Op.put(key, Keys.bytes(ChangeRequestJson.write(changed)), PutOption.DEFAULT))
        .commit(), timeout, "writing change request " + changed.id(), where);
    if (t.isSucceeded()) return changed.stored(changed.id(), changed.version() + 1);
    ChangeRequest now = get(changed.id());
    if (now == null) {
      throw new StoreConflictException(StoreConflictException.Reason.NOT_FOUND, List.of("change request " + changed.id() + " does not exist"));
    }
    throw new StoreConflictException(StoreConflictException.Reason.REVISION_MISMATCH, List.of("change request " + changed.id()
        + " is at version " + now.version() + ", not " + changed.version() + ": it changed since it was read; read it again"));
  }

  private GetResponse get(ByteSequence key, GetOption option, String what) {
    return Calls.await(client.getKVClient().get(key, option), timeout, what, where);
  }
}
