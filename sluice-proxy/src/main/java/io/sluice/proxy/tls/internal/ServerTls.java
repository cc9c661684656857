package io.sluice.proxy.tls.internal;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import io.sluice.api.listener.ListenerTls;
import io.sluice.api.secret.SecretMaterial;
import io.sluice.proxy.tls.TlsProvider;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * A listener's TLS compiled at apply time: one {@link SslContext} per certificate, and the SNI
 * mapping from host name to context (exact, one wildcard label, default). Immutable: a rotation
 * compiles a new one, which new connections pick up with the next snapshot, while open connections
 * keep the engine they were created with. Shared by all event loops.
 */
public final class ServerTls {
  /**
   * TLS 1.3 suites, then TLS 1.2 suites with forward secrecy and AEAD only (Mozilla "intermediate"):
   * in Java names, which Netty translates for OpenSSL.
   */
  static final List<String> CIPHERS = List.of(
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private final Mapping<String, SslContext> mapping;
  private final long handshakeTimeoutMillis;
  private final Object inputs;

  private ServerTls(Mapping<String, SslContext> mapping, long handshakeTimeoutMillis, Object inputs) {
    this.mapping = mapping;
    this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    this.inputs = inputs;
  }

  /**
   * Compiles {@code tls}, which validated.
   *
   * @param secrets the material of each Secret {@code tls} names
   * @param handshakeTimeout a handshake not done within this fails and the connection closes
   * @param inputs what the result was compiled from (the specs), so that {@link #compiledFrom} can
   *     tell whether a later apply may reuse it
   * @throws SSLException when the provider refuses the material
   */
  public static ServerTls compile(ListenerTls tls, List<String> alpn, Function<String, SecretMaterial> secrets,
      Duration handshakeTimeout, Object inputs) throws SSLException {
    Map<String, SslContext> bySecret = new HashMap<>();
    TrustManager clients = null;
    ListenerTls.ClientAuth auth = tls.clientAuth();
    if (auth != null) {
      try {
        clients = ClientCertificates.of(secrets.apply(Objects.requireNonNull(auth.ca(), "ca")).ca(), auth.allow());
      } catch (GeneralSecurityException e) {
        throw new SSLException("cannot use the CA bundle of Secret '" + auth.ca() + "': " + e.getMessage(), e);
      }
    }
    for (ListenerTls.Certificate c : tls.certificates()) {
      String name = Objects.requireNonNull(c.secret(), "secret");
      if (!bySecret.containsKey(name)) bySecret.put(name, context(tls, alpn, secrets.apply(name), clients));
    }
    SslContext def = Objects.requireNonNull(bySecret.get(tls.defaultCertificate().secret()), "default certificate");
    DomainWildcardMappingBuilder<SslContext> b = new DomainWildcardMappingBuilder<>(def);
    for (ListenerTls.Certificate c : tls.certificates()) {
      SslContext ctx = Objects.requireNonNull(bySecret.get(c.secret()), "certificate");
      for (String host : c.hosts()) b.add(host, ctx);
    }
    return new ServerTls(b.build(), handshakeTimeout.toMillis(), inputs);
  }

  /** Whether this was compiled from {@code inputs} (equal specs): then it can serve as it is. */
  public boolean compiledFrom(Object inputs) {
    return this.inputs.equals(inputs);
  }

  private static SslContext context(ListenerTls tls, List<String> alpn, SecretMaterial m, @Nullable TrustManager clients)
      throws SSLException {
    PrivateKey key = Objects.requireNonNull(m.key(), "key");
    TlsProvider provider = TlsProvider.current();
    SslContextBuilder b = SslContextBuilder.forServer(key, m.chain().toArray(X509Certificate[]::new));
    ListenerTls.ClientAuth auth = tls.clientAuth();
    if (auth != null && clients != null) {
      b.trustManager(clients).clientAuth(auth.mode().equals(ListenerTls.ClientAuth.OPTIONAL) ? ClientAuth.OPTIONAL : ClientAuth.REQUIRE);
    }
    SslContext ctx = b
        .sslProvider(provider.provider())
        .protocols(protocols(tls))
        .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn))
        .build();
    if (ctx.sessionContext() instanceof OpenSslServerSessionContext s) TicketKeys.register(s);
    return ctx;
  }

  /** The protocol versions between the listener's {@code minVersion} and {@code maxVersion} (validated: TLS 1.2 or 1.3, min ≤ max). */
  private static String[] protocols(ListenerTls tls) {
    if (tls.minVersion().equals(ListenerTls.TLS13)) return new String[] {"TLSv1.3"};
    if (tls.maxVersion().equals(ListenerTls.TLS12)) return new String[] {"TLSv1.2"};
    return new String[] {"TLSv1.3", "TLSv1.2"};
  }

  /**
   * Puts this listener's TLS at the end of a new connection's pipeline: the handler that refuses plain
   * HTTP and chooses the certificate by SNI ({@link TlsSniffer}; it becomes the {@code SslHandler}),
   * then {@link TlsFailures}, which ends connections whose client broke TLS.
   */
  public void addTo(ChannelPipeline pipeline) {
    pipeline.addLast("tls", new TlsSniffer(mapping, handshakeTimeoutMillis));
    pipeline.addLast("tls-failures", TlsFailures.INSTANCE);
  }
}
