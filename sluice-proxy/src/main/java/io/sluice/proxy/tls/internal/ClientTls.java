package io.sluice.proxy.tls.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.sluice.api.secret.SecretMaterial;
import io.sluice.api.upstream.UpstreamTls;
import io.sluice.proxy.tls.TlsProvider;
import java.security.PrivateKey;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * An Upstream's TLS compiled at apply time: one client {@link SslContext} (trust anchors, client
 * certificate, versions, ALPN {@code http/1.1}, host name verification) and the name to send in SNI
 * and verify. Built with the provider {@link TlsProvider#current()} chooses, as listeners' TLS is.
 *
 * <p>Immutable and shared by all event loops; {@link #newHandler} is called on a loop for each new
 * connection. A change of the upstream's TLS or of a Secret it names compiles a new one (see
 * {@link #compiledFrom}); connections made with the old one are never pooled under the new one,
 * because the runtime then gives the upstream new endpoints.
 */
public final class ClientTls {
  private final SslContext context;
  private final @Nullable String serverName;
  private final long handshakeTimeoutMillis;
  private final Object inputs;

  private ClientTls(SslContext context, @Nullable String serverName, long handshakeTimeoutMillis, Object inputs) {
    this.context = context;
    this.serverName = serverName;
    this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    this.inputs = inputs;
  }

  /**
   * Compiles {@code tls}, which validated and is enabled.
   *
   * @param secrets the material of each Secret {@code tls} names
   * @param handshakeTimeout a handshake not done within this fails (the upstream's connect timeout:
   *     to the caller, connecting includes the handshake)
   * @param inputs what the result was compiled from (the specs and file stamps), for {@link #compiledFrom}
   * @throws SSLException when the provider refuses the material
   */
  public static ClientTls compile(UpstreamTls tls, Function<String, SecretMaterial> secrets, Duration handshakeTimeout,
      Object inputs) throws SSLException {
    return compile(tls, secrets, handshakeTimeout, inputs, List.of("http/1.1"));
  }

  /**
   * As {@link #compile(UpstreamTls, Function, Duration, Object)}, offering {@code alpn} (in order of
   * preference): {@code h2} for an HTTP/2 upstream, {@code h2} and {@code http/1.1} for {@code auto}.
   */
  public static ClientTls compile(UpstreamTls tls, Function<String, SecretMaterial> secrets, Duration handshakeTimeout,
      Object inputs, List<String> alpn) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient().sslProvider(TlsProvider.current().provider());
    if (tls.insecureSkipVerify()) {
      // Netty 4.2 verifies the host name of clients by default: off too, as the option says.
      b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
    } else {
      String ca = tls.caSecret();
      // Without a CA Secret the provider's default trust managers apply: the JVM's cacerts.
      if (ca != null) b.trustManager(secrets.apply(ca).ca());
      b.endpointIdentificationAlgorithm("HTTPS");
    }
    String client = tls.clientCertificate();
    if (client != null) {
      SecretMaterial m = secrets.apply(client);
      PrivateKey key = Objects.requireNonNull(m.key(), "key");
      b.keyManager(key, m.chain().toArray(X509Certificate[]::new));
    }
    SslContext ctx = b
        .protocols(UpstreamTls.TLS13.equals(tls.normalisedMinVersion()) ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"})
        .ciphers(ServerTls.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn))
        .build();
    String name = tls.serverName();
    return new ClientTls(ctx, name == null ? null : name.toLowerCase(Locale.ROOT), handshakeTimeout.toMillis(), inputs);
  }

  /** Whether this was compiled from {@code inputs} (equal specs, unchanged files): then it can serve as it is. */
  public boolean compiledFrom(Object inputs) {
    return this.inputs.equals(inputs);
  }

  /**
   * The handler that runs TLS on a new connection to {@code host} (the endpoint's host as configured:
   * a DNS name or an IP literal) port {@code port}. The name sent in SNI and verified is the
   * configured {@code serverName}, else {@code host}; an IP literal sends no SNI and is verified
   * against the certificate's IP subjectAltNames. Writes made before the handshake completes are
   * held until it does. Call on the connection's event loop.
   */
  public SslHandler newHandler(ByteBufAllocator alloc, String host, int port) {
    String peer = serverName != null ? serverName : host;
    SslHandler h = context.newHandler(alloc, peer, port);
    h.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
    return h;
  }

  /**
   * The handler of a new connection's pipeline: on registration it puts {@link #newHandler} first,
   * then {@code next}. The connection counts as connected when the {@link SslHandler}'s handshake
   * future succeeds.
   */
  public ChannelHandler initializer(ChannelHandler next, String host, int port) {
    return new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(newHandler(ch.alloc(), host, port), next);
      }
    };
  }

  /**
   * Whether {@code failure} is a fatal TLS alert from the peer ({@code certificate_required},
   * {@code bad_certificate}, ...), as each provider reports one.
   */
  public static boolean isAlert(Throwable failure) {
    // SslHandler's decoding failures reach the pipeline wrapped in a DecoderException.
    Throwable t = failure instanceof DecoderException && failure.getCause() != null ? failure.getCause() : failure;
    if (!(t instanceof SSLException)) return false;
    String m = t.getMessage();
    return m != null && m.toLowerCase(Locale.ROOT).contains("alert");
  }

  /**
   * Whether a failed handshake failed on the peer's certificate (its chain, validity or name), as
   * opposed to anything else (versions, ciphers, an alert from the peer, a malformed message). The
   * providers differ in how they report it: the JDK's trust manager throws a
   * {@link CertificateException} (or a {@link CertPathValidatorException}) that is the cause of the
   * handshake exception; BoringSSL names the verification failure in the message.
   */
  public static boolean isCertificateProblem(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof CertificateException || t instanceof CertPathValidatorException || t instanceof CertPathBuilderException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null && m.contains("CERTIFICATE_VERIFY_FAILED")) return true;
      if (t.getCause() == t) break;
    }
    return false;
  }
}
