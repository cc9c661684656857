package io.sluice.proxy.message;

import org.jspecify.annotations.Nullable;

/**
 * The request as the gateway sends it to an upstream: the received head, what the route and the
 * filters changed (method, path, query, authority, header edits, a buffered or replaced body), and
 * the gateway's own Via field. The exchange fills it for each attempt; the upstream stream's codec
 * encodes it, adding the forwarding fields from the received head (X-Forwarded-For/-Proto/-Host,
 * X-Forwarded-Client-Cert, X-Request-Id) and leaving out the hop-by-hop ones.
 *
 * <p>One instance per exchange, reset for each request; the event loop's only.
 */
public final class UpstreamRequest {
  /**
   * {@link #edit}'s {@code bodyLength}: the body streams through filters that may change it, so
   * its length is known only at its end (HTTP/1.1 sends it chunked).
   */
  public static final long BODY_STREAMED = -2;

  @SuppressWarnings("NullAway.Init") // set by reset() before any use
  private RequestMessage received;
  private @Nullable String routePath;
  private @Nullable String routeAuthority;
  private byte[] viaLine = new byte[0];
  private @Nullable String method;
  private @Nullable String path;
  private boolean queryReplaced;
  private @Nullable String query;
  private @Nullable String authority;
  /** What {@link #edits()} returns when the filters edited no header. */
  private final HeaderEdits noEdits = new HeaderEdits();
  private HeaderEdits edits = noEdits;
  private long bodyLength = -1;
  private @Nullable String upgrade;

  /**
   * Starts the description of {@code received} as the route sends it.
   *
   * @param routePath the path after the route's rewrite, or null to send the target as received
   * @param routeAuthority the Host the route rewrites to, or null
   * @param viaLine the gateway's own Via field, {@code Via: 1.1 name\r\n}, appended after the received ones
   */
  public UpstreamRequest reset(RequestMessage received, @Nullable String routePath, @Nullable String routeAuthority,
      byte[] viaLine) {
    this.received = received;
    this.routePath = routePath;
    this.routeAuthority = routeAuthority;
    this.viaLine = viaLine;
    method = path = query = authority = null;
    queryReplaced = false;
    edits = noEdits;
    bodyLength = -1;
    upgrade = null;
    return this;
  }

  /**
   * What the filters changed; null arguments leave the route's value.
   *
   * @param query the query to send when {@code queryReplaced} (null: none)
   * @param edits the filters' header edits, or null for none
   * @param bodyLength the length of the buffered or replaced body that follows the head, -1 when
   *     the body streams as received, or {@link #BODY_STREAMED}
   */
  public void edit(@Nullable String method, @Nullable String path, boolean queryReplaced, @Nullable String query,
      @Nullable String authority, @Nullable HeaderEdits edits, long bodyLength) {
    this.method = method;
    this.path = path;
    this.queryReplaced = queryReplaced;
    this.query = query;
    this.authority = authority;
    this.edits = edits != null ? edits : noEdits;
    this.bodyLength = bodyLength;
  }

  /** The body streams through filters that may change its length: it goes as {@link #BODY_STREAMED}. */
  public void bodyStreamed() {
    bodyLength = BODY_STREAMED;
  }

  /**
   * The request is a protocol upgrade the route accepted (a WebSocket handshake): the codec sends
   * the hop-by-hop fields that ask the next hop for it ({@code Connection: Upgrade}, {@code
   * Upgrade: protocol} in HTTP/1.1).
   */
  public void upgrade(String protocol) {
    upgrade = protocol;
  }

  /** The protocol the request asks the upstream to switch to, or null. */
  public @Nullable String upgradeProtocol() {
    return upgrade;
  }

  public RequestMessage received() {
    return received;
  }

  /** Whether anything beyond the route's path and Host rewrite differs from the received head. */
  public boolean isEdited() {
    return method != null || path != null || queryReplaced || authority != null || !edits.isEmpty() || bodyLength != -1;
  }

  public String method() {
    return method != null ? method : received.method();
  }

  /** The path to send: a filter's, else the route's rewrite, else null when the target goes as received. */
  public @Nullable String path() {
    return path != null ? path : routePath;
  }

  public @Nullable String query() {
    return queryReplaced ? query : received.query();
  }

  /** The Host to send: a filter's, else the route's rewrite, else the received authority. */
  public String authority() {
    return authority != null ? authority : routeAuthority != null ? routeAuthority : received.authority();
  }

  /** The Host the route rewrites to, or null: for the codec's path that sends an unedited head. */
  public @Nullable String routeAuthority() {
    return routeAuthority;
  }

  /** The filters' header edits; empty when they made none. Never modified by the codec. */
  public HeaderEdits edits() {
    return edits;
  }

  /** The length of the body that follows the head, -1 when the body is framed as received, or {@link #BODY_STREAMED}. */
  public long bodyLength() {
    return bodyLength;
  }

  public byte[] viaLine() {
    return viaLine;
  }
}
