package io.sluice.api.secret;

import io.sluice.api.Credential;
import io.sluice.api.Spec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Key material that other objects name: today a TLS certificate chain with its private key, or a CA
 * bundle for verifying client certificates. Listeners name Secrets in {@code spec.tls}.
 *
 * <pre>{@code
 * spec:
 *   tls:
 *     certificateFile: web.pem      # or certificate: "-----BEGIN CERTIFICATE-----..."
 *     privateKeyFile: web.key       # or privateKey: "-----BEGIN PRIVATE KEY-----..."
 *     ca: "-----BEGIN CERTIFICATE-----..."   # or caFile: clients-ca.pem; for clientAuth
 * }</pre>
 *
 * <p>Or a shared secret other objects use as a key (a Webhook's signing key):
 *
 * <pre>{@code
 * spec:
 *   value: "a-long-random-string"
 * }</pre>
 *
 * <p>Or keyed data, as a Kubernetes Secret holds it: each key's bytes in base64 (a {@code wasm}
 * filter's module is read from one key, {@code secret: {name: plugins, key: auth.wasm}}):
 *
 * <pre>{@code
 * spec:
 *   data:
 *     auth.wasm: AGFzbQEAAAAB...
 * }</pre>
 *
 * <p>{@link SecretData} states the bounds of {@code data} and decodes it.
 *
 * @param tls the TLS material; at least one of tls, value and data is required
 * @param value a shared secret, such as a Webhook's signing key; shown to viewers as {@code <redacted>}
 * @param data keyed bytes, each value base64 (RFC 4648, with padding); keys are {@code [-._a-zA-Z0-9]+}
 *     as in Kubernetes; viewers see the keys, each value as {@code <redacted>}; empty when left out
 */
public record SecretSpec(@Nullable Tls tls, @Credential @Nullable String value, @Credential Map<String, String> data) implements Spec {
  public SecretSpec {
    // Insertion order kept, so an export writes the keys as they were given.
    data = data == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(data));
  }

  /** A Secret with TLS material or a shared value and no keyed data. */
  public SecretSpec(@Nullable Tls tls, @Nullable String value) {
    this(tls, value, Map.of());
  }

  /**
   * PEM text inline or in a file inside the certificate directory ({@code --cert-dir}); of each pair
   * at most one is set. A certificate comes with its private key; a Secret may hold only a CA bundle.
   *
   * @param certificate the certificate chain, leaf first (PEM {@code CERTIFICATE} blocks)
   * @param privateKey the leaf's private key: PKCS#8 ({@code PRIVATE KEY}, RSA or EC) or PKCS#1 ({@code RSA PRIVATE KEY})
   * @param certificateFile a file holding {@code certificate}
   * @param privateKeyFile a file holding {@code privateKey}
   * @param ca CA certificates that client certificates are verified against
   * @param caFile a file holding {@code ca}
   */
  public record Tls(@Nullable String certificate, @Credential @Nullable String privateKey, @Nullable String certificateFile,
      @Nullable String privateKeyFile, @Nullable String ca, @Nullable String caFile) {}
}
