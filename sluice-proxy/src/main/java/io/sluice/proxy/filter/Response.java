package io.sluice.proxy.filter;

/**
 * The response as the filters see it in the response phase: its status, and its headers with the
 * edits made so far. Edits are applied when the response head is written.
 */
public interface Response {
  /** The status code, e.g. 200. */
  int status();

  /**
   * The response headers. Content-Length, Transfer-Encoding and the hop-by-hop headers are the
   * gateway's to write and cannot be edited.
   */
  Headers headers();

  /** True when the gateway made the response (a filter's, or a route's direct response), false for an upstream's. */
  boolean isLocal();
}
