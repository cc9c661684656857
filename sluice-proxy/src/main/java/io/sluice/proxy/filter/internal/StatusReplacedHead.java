package io.sluice.proxy.filter.internal;

import io.sluice.proxy.message.ResponseMessage;
import org.jspecify.annotations.Nullable;

/** An upstream's response head with the status a filter set ({@code Response.setStatus}); the rest as received. Immutable. */
final class StatusReplacedHead implements ResponseMessage {
  private final ResponseMessage head;
  private final int status;

  StatusReplacedHead(ResponseMessage head, int status) {
    this.head = head;
    this.status = status;
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public long bodyLength() {
    return head.bodyLength();
  }

  @Override
  public boolean bodyChunked() {
    return head.bodyChunked();
  }

  @Override
  public int headerCount() {
    return head.headerCount();
  }

  @Override
  public String headerName(int i) {
    return head.headerName(i);
  }

  @Override
  public String headerValue(int i) {
    return head.headerValue(i);
  }

  @Override
  public boolean headerNameIs(int i, String lowerName) {
    return head.headerNameIs(i, lowerName);
  }

  @Override
  public boolean isHopByHop(int i) {
    return head.isHopByHop(i);
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    return head.header(lowerCaseName);
  }
}
