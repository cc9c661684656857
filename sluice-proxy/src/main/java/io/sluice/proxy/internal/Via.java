package io.sluice.proxy.internal;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A listener of this gateway process as a hop in {@code Via} (RFC 9110 §7.6.3): every request it
 * sends upstream gets {@code Via: 1.1 sluice-<8 hex digits>} after the Via fields it received, and a
 * request that arrives at the listener already naming it has looped back (a route whose upstream is
 * the listener itself, or leads back to it): it is answered 508 {@code loop_detected} instead of
 * going round again until connections run out. The pseudonym is random per listener and process:
 * a route on one listener may proxy to another listener of the same gateway (the demo does), and
 * two gateways in a chain, or a fleet behind a balancer, never take each other for themselves.
 * Immutable.
 */
final class Via {
  /** This listener's pseudonym, e.g. {@code sluice-3f09a1c2}. */
  final String pseudonym = "sluice-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
  /** The field this listener adds, encoded once. */
  final byte[] line = ("Via: 1.1 " + pseudonym + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
}
