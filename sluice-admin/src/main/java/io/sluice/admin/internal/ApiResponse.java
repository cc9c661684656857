package io.sluice.admin.internal;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/** A complete answer: status, content type, body bytes and extra header fields. */
public record ApiResponse(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
  public ApiResponse(HttpResponseStatus status, String contentType, byte[] body) {
    this(status, contentType, body, Map.of());
  }
}
