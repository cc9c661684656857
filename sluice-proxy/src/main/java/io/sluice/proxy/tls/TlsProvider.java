package io.sluice.proxy.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Which TLS implementation terminates HTTPS on listeners: BoringSSL through netty-tcnative when its
 * native library loads on this platform, else the JDK's. Decided when first asked, and again if the property below changes.
 *
 * <p>The system property {@code sluice.tls.provider} ({@code jdk} or {@code openssl}) forces one;
 * {@code openssl} where it does not load falls back to the JDK too (with {@link #reason} saying why).
 * Thread-safe.
 */
public final class TlsProvider {
  /** The system property that forces a provider: {@code jdk} or {@code openssl}. */
  public static final String PROPERTY = "sluice.tls.provider";

  /**
   * The JDK's switch that refuses a TLS 1.2 client's renegotiation (BoringSSL refuses it always): a
   * client could otherwise make the server redo the expensive half of a handshake as often as it
   * likes on one connection. The JDK reads it once, when its first server-side handshake starts, so
   * it is set here, before any context is built, unless the operator set it.
   */
  static final String REJECT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

  static {
    if (System.getProperty(REJECT_RENEGOTIATION) == null) System.setProperty(REJECT_RENEGOTIATION, "true");
  }

  /** The provider and the property value it was chosen for; chosen again only when the property changes. */
  private static volatile TlsProvider current = choose(System.getProperty(PROPERTY));

  private final SslProvider provider;
  private final String description;
  private final @Nullable String property;

  private TlsProvider(SslProvider provider, String description, @Nullable String property) {
    this.provider = provider;
    this.description = description;
    this.property = property;
  }

  /**
   * The provider TLS contexts are built with now. Read when a listener's TLS is compiled (apply time),
   * never per connection.
   */
  public static TlsProvider current() {
    TlsProvider p = current;
    String property = System.getProperty(PROPERTY);
    if (!java.util.Objects.equals(property, p.property)) {
      p = choose(property);
      current = p;
    }
    return p;
  }

  private static TlsProvider choose(@Nullable String property) {
    String f = property == null ? "" : property.trim().toLowerCase(Locale.ROOT);
    if (f.equals("jdk")) return jdk("forced with -D" + PROPERTY + "=jdk", property);
    if (OpenSsl.isAvailable()) {
      return new TlsProvider(SslProvider.OPENSSL, "openssl (" + OpenSsl.versionString() + ")", property);
    }
    Throwable cause = OpenSsl.unavailabilityCause();
    return jdk("BoringSSL unavailable: " + (cause == null ? "unknown" : cause.getMessage()), property);
  }

  private static TlsProvider jdk(String why, @Nullable String property) {
    return new TlsProvider(SslProvider.JDK, "jdk (" + Runtime.version() + "; " + why + ")", property);
  }

  /** The Netty provider contexts are built with. */
  public SslProvider provider() {
    return provider;
  }

  /** {@code openssl} or {@code jdk}. */
  public String name() {
    return provider == SslProvider.JDK ? "jdk" : "openssl";
  }

  /** What {@code sluice status} shows: {@code openssl (BoringSSL)} or {@code jdk (25; forced ...)}. */
  public String description() {
    return description;
  }
}
