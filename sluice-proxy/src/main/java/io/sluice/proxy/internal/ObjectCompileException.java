package io.sluice.proxy.internal;

import io.sluice.api.ObjectRef;

/**
 * Compiling one object of a configuration for the data plane failed: a filter that cannot be
 * created, a timeout the runtime cannot hold. Names the object, so that the data plane can skip it
 * (and what depends on it) and apply the rest; see {@link DataPlane#apply}.
 */
public final class ObjectCompileException extends RuntimeException {
  private final ObjectRef object;

  /**
   * @param object the object that failed to compile
   * @param cause what failed; its message is kept as this exception's, prefixed with the object
   */
  public ObjectCompileException(ObjectRef object, RuntimeException cause) {
    super(messageOf(object, cause), cause);
    this.object = object;
  }

  private static String messageOf(ObjectRef object, RuntimeException cause) {
    String m = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    // Filter creation names the object itself ("Route/orders: spec.filters[0]: ...").
    return m.startsWith(object + ":") ? m : object + ": " + m;
  }

  /** The object that failed to compile. */
  public ObjectRef object() {
    return object;
  }

  /**
   * Runs {@code step}, which compiles part of {@code object}, and names the object when it fails.
   * A failure already attributed to an object is passed on as it is.
   */
  public static <T> T attributed(ObjectRef object, java.util.function.Supplier<T> step) {
    try {
      return step.get();
    } catch (ObjectCompileException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ObjectCompileException(object, e);
    }
  }
}
