package io.sluice.admin;

import io.sluice.store.changes.ChangeRequest;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code change.*} events' payload, one shape for every place a change request's state changes. Stateless. */
public final class ChangeEvents {
  private ChangeEvents() {}

  /**
   * Tells {@code events} that {@code c} (as stored now) changed state.
   *
   * @param type {@code change.proposed}, {@code change.approved}, {@code change.rejected} or {@code change.published}
   * @param by who did it
   * @param comment the reviewer's comment; empty for none
   */
  public static void emit(AdminEvents events, String type, ChangeRequest c, String by, String comment) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("id", c.id());
    data.put("title", c.title());
    data.put("author", c.author());
    data.put("state", c.state().displayName());
    data.put("by", by);
    data.put("approvedBy", c.approvers());
    if (!comment.isEmpty()) data.put("comment", comment);
    data.put("baseRevision", c.baseRevision());
    if (c.publishedRevision() > 0) data.put("revision", c.publishedRevision());
    if (!c.canary().isEmpty()) data.put("canary", c.canary());
    events.emit(type, data);
  }
}
