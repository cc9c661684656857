package io.sluice.admin;

import java.util.Map;

/**
 * What the admin API tells the rest of the server about the change workflow, for notifications
 * (webhooks): called after the store has the new state, on the request's thread; an implementation
 * must hand the event off and return at once (it must neither block nor throw).
 */
@FunctionalInterface
public interface AdminEvents {
  /** Ignores every event. */
  AdminEvents NONE = (type, data) -> {};

  /**
   * @param type {@code change.proposed}, {@code change.approved}, {@code change.rejected},
   *     {@code change.published} or {@code rollback}
   * @param data the event's fields: strings, numbers, booleans and lists of strings
   */
  void emit(String type, Map<String, Object> data);
}
