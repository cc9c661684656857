package io.sluice.filter;

import io.sluice.api.ConfigObject;
import io.sluice.api.consumer.ConsumerSpec;

/** Attributes that several filters and the access log agree on. */
public final class Attributes {
  private Attributes() {}

  /**
   * The Consumer the request authenticated as, set by the authentication filters ({@code key-auth},
   * {@code basic-auth}, ...); read by {@code rate-limit} with {@code key: consumer} and the access log.
   */
  public static final Attribute<ConfigObject<ConsumerSpec>> CONSUMER = Attribute.of("consumer");

  /** The client certificate the listener verified (mTLS); not set on a connection without one. */
  public static final Attribute<ClientCertificate> CLIENT_CERTIFICATE = Attribute.of("clientCertificate");
}
