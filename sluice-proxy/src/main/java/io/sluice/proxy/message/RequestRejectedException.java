package io.sluice.proxy.message;

/**
 * A request the gateway refuses while reading it, with the status to refuse it with: a framing
 * error of the client's codec, or a body over a limit a filter set. Thrown on the connection's
 * event loop; the connection answers (if nothing of a response went out yet) and closes, because
 * after it nothing later on the connection can be trusted.
 *
 * <p>Stack traces are not filled in: these are expected on hostile input and must stay cheap.
 */
public class RequestRejectedException extends RuntimeException {
  private final int status;

  public RequestRejectedException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** The message given at construction: never null. */
  @Override
  @SuppressWarnings("NullAway") // always constructed with a message
  public String getMessage() {
    return super.getMessage();
  }

  /** The status to answer with (4xx; 5xx when the gateway's own step failed). */
  public int status() {
    return status;
  }
}
