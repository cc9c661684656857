package io.sluice.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.api.route.DirectResponse;
import io.sluice.proxy.message.RequestMessage;
import java.nio.charset.StandardCharsets;
import io.sluice.filter.LocalResponse;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Writes a route's {@code directResponse}. A fixed response is encoded once, at apply time, up to
 * the Connection header; an echo response is built per request (it is for demos and smoke tests).
 */
final class DirectResponder {
  private final byte[] head;
  private final byte[] body;
  private final boolean echo;
  /** 204 and 304 have no body, and a 204 no Content-Length (RFC 9110 §6.4.1, §8.6). */
  private final boolean bodiless;
  private final DirectResponse spec;
  /** The fixed response for the filters' response phase; null for echo, or headers a filter could not write. */
  private final @Nullable LocalResponse local;

  DirectResponder(DirectResponse spec) {
    this.spec = spec;
    this.echo = spec.echo();
    this.bodiless = spec.status() == 204 || spec.status() == 304;
    StringBuilder h = new StringBuilder(128);
    h.append("HTTP/1.1 ").append(spec.status()).append(' ').append(Responses.reasonPhrase(spec.status())).append("\r\n");
    boolean contentType = false;
    for (Map.Entry<String, String> e : spec.headers().entrySet()) {
      h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
      contentType |= e.getKey().equalsIgnoreCase("content-type");
    }
    if (!contentType) {
      h.append("Content-Type: ").append(echo ? "application/json" : "text/plain; charset=utf-8").append("\r\n");
    }
    this.head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    this.body = spec.body() == null ? new byte[0] : spec.body().getBytes(StandardCharsets.UTF_8);
    LocalResponse l = null;
    if (!echo) {
      try {
        l = asLocal(body);
      } catch (IllegalArgumentException e) {
        // A header the response phase could not have written (e.g. Connection): answered without it.
      }
    }
    this.local = l;
  }

  /**
   * The response as a {@link LocalResponse}, for routes whose filters have a response phase; null
   * when it can only be written as configured (then the response phase is skipped).
   */
  @Nullable LocalResponse local(RequestMessage request) {
    if (!echo) return local;
    try {
      return asLocal(echoBody(request));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private LocalResponse asLocal(byte[] b) {
    LocalResponse.Builder r = LocalResponse.builder(spec.status());
    boolean contentType = false;
    for (Map.Entry<String, String> e : spec.headers().entrySet()) {
      r.header(e.getKey(), e.getValue());
      contentType |= e.getKey().equalsIgnoreCase("content-type");
    }
    if (!contentType) r.header("Content-Type", echo ? "application/json" : "text/plain; charset=utf-8");
    return r.body(bodiless ? new byte[0] : b).build();
  }

  /** The status of the response. */
  int status() {
    return spec.status();
  }

  /**
   * The response for a client whose codec writes header lists (HTTP/2): {@link #local} when it
   * can be one; otherwise the configured response without the fields the filter SPI refuses
   * (hop-by-hop ones, which such a protocol does not carry either).
   */
  LocalResponse forHeaderList(RequestMessage request) {
    LocalResponse l = local(request);
    if (l != null) return l;
    byte[] b = echo ? echoBody(request) : body;
    LocalResponse.Builder r = LocalResponse.builder(spec.status());
    boolean contentType = false;
    for (Map.Entry<String, String> e : spec.headers().entrySet()) {
      try {
        r.header(e.getKey(), e.getValue());
        contentType |= e.getKey().equalsIgnoreCase("content-type");
      } catch (IllegalArgumentException refused) {
        // A hop-by-hop field: it has no place in an HTTP/2 response.
      }
    }
    if (!contentType) r.header("Content-Type", echo ? "application/json" : "text/plain; charset=utf-8");
    return r.body(bodiless ? new byte[0] : b).build();
  }

  /** Encodes the response to {@code request}; the caller writes it and owns the buffer. */
  ByteBuf encode(ByteBufAllocator alloc, RequestMessage request, boolean close) {
    byte[] b = echo ? echoBody(request) : body;
    ByteBuf out = alloc.ioBuffer(head.length + b.length + 64);
    out.writeBytes(head);
    if (!bodiless) out.writeCharSequence("Content-Length: " + b.length + "\r\n", StandardCharsets.ISO_8859_1);
    if (close) out.writeCharSequence("Connection: close\r\n", StandardCharsets.ISO_8859_1);
    out.writeShort(0x0d0a);
    if (!bodiless && !request.method().equals("HEAD")) out.writeBytes(b);
    return out;
  }

  private static byte[] echoBody(RequestMessage r) {
    StringBuilder j = new StringBuilder(256);
    j.append("{\"method\":");
    Responses.jsonString(j, r.method());
    j.append(",\"path\":");
    Responses.jsonString(j, r.path());
    j.append(",\"query\":");
    if (r.query() == null) j.append("null"); else Responses.jsonString(j, r.query());
    j.append(",\"clientIp\":");
    Responses.jsonString(j, r.clientIp());
    j.append(",\"headers\":{");
    for (int i = 0; i < r.headerCount(); i++) {
      if (i > 0) j.append(',');
      Responses.jsonString(j, r.headerName(i));
      j.append(':');
      Responses.jsonString(j, r.headerValue(i));
    }
    j.append("}}\n");
    return j.toString().getBytes(StandardCharsets.UTF_8);
  }
}
