package io.sluice.filter;

import org.jspecify.annotations.Nullable;

/**
 * The request as the filters see it, and their edits to what goes upstream. Edits are recorded and
 * applied when the upstream head is written (the received head is never re-parsed); reads reflect
 * the edits made so far.
 *
 * <p>Threading: see {@link Exchange}. Setters throw {@link IllegalStateException} once the request
 * has gone upstream (in the response phase).
 */
public interface Request {
  /** The method, e.g. {@code GET}. */
  String method();

  /** @throws IllegalArgumentException when {@code method} is not a token */
  void setMethod(String method);

  /**
   * The path, normalised (percent-encodings of unreserved characters decoded, dot-segments
   * removed), without the query; starts with {@code /}. Until a filter sets one, this is the
   * client's; the route's {@code rewrite.pathPrefix} applies only when no filter set a path.
   */
  String path();

  /**
   * The path to send upstream, as it will be written: percent-encoded where needed.
   *
   * @throws IllegalArgumentException when it does not start with {@code /} or holds characters a
   *     request target cannot (space, {@code ?}, {@code #}, control characters)
   */
  void setPath(String path);

  /** The raw query (after {@code ?}, without it), or null when there is none. */
  @Nullable String query();

  /**
   * The raw query to send, without {@code ?}; null or empty sends none.
   *
   * @throws IllegalArgumentException on characters a request target cannot hold
   */
  void setQuery(@Nullable String query);

  /** The host name the request was routed by: lower case, without port. */
  String host();

  /** The Host header to send upstream; until set, the client's (or the route's {@code rewrite.host}). */
  String authority();

  /** @throws IllegalArgumentException when {@code authority} is not {@code host[:port]} */
  void setAuthority(String authority);

  /** The client's IP address, e.g. {@code 127.0.0.1} or {@code ::1}. */
  String clientIp();

  /** {@code http}, or {@code https} on a TLS listener (what X-Forwarded-Proto says upstream). */
  String scheme();

  /**
   * The request headers. Host, Content-Length, Transfer-Encoding and the hop-by-hop headers are
   * the gateway's to write and cannot be edited (use {@link #setAuthority}, {@link #setBody}).
   */
  Headers headers();

  /** The body length from Content-Length, or -1 for a chunked body or none. */
  long contentLength();

  /** True when the request has a body (chunked, or a Content-Length above zero). */
  boolean hasBody();

  /**
   * The whole body, when a filter of the chain declared {@link Filter#bufferRequestBody()} and the
   * phase runs at or after it; null otherwise. A body a filter set replaces it.
   */
  @Nullable Body body();

  /**
   * Replaces the body sent upstream (it is sent with a Content-Length). Allowed when the request has
   * no body, or when its body was buffered ({@link #body()} is not null).
   *
   * @throws IllegalStateException when the request has a body that streams
   */
  void setBody(byte[] body);

  /**
   * Lowers the most bytes of body this request may have: a bigger Content-Length gets 413 before any
   * of the body is read, a chunked body gets 413 as soon as it grows beyond it (the upstream's
   * request is then aborted and the connection closed).
   */
  void limitBodySize(long maxBytes);
}
