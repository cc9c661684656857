package io.sluice.filters.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.crypto.impl.ECDSA;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Verification keys: from a shared secret, a PEM, or a JWK; each with the algorithms it verifies. */
final class Keys {
  static final int MIN_RSA_BITS = 2048;
  static final int MIN_SECRET_BYTES = 32;

  static final List<JWSAlgorithm> HMAC = List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512);
  static final List<JWSAlgorithm> RSA = List.of(
      JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);
  static final List<JWSAlgorithm> EC = List.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

  private Keys() {}

  /** A key that verifies tokens signed with one of {@code algorithms}; {@code kid} null matches any kid. */
  record Key(@Nullable String kid, JWSVerifier verifier, Set<JWSAlgorithm> algorithms) {}

  /** The algorithms a name list stands for; unknown names are reported by validation. */
  static @Nullable JWSAlgorithm algorithm(String name) {
    for (List<JWSAlgorithm> family : List.of(HMAC, RSA, EC)) {
      for (JWSAlgorithm a : family) {
        if (a.getName().equals(name)) return a;
      }
    }
    return null;
  }

  /**
   * An HMAC key for a secret of at least {@link #MIN_SECRET_BYTES}: HS256, plus HS384 from 48 bytes
   * and HS512 from 64 (RFC 7518 §3.2: the key as long as the hash).
   */
  static Key secret(String secret) {
    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("too short: " + bytes.length + " bytes, expected at least " + MIN_SECRET_BYTES);
    }
    Set<JWSAlgorithm> algs = new LinkedHashSet<>();
    algs.add(JWSAlgorithm.HS256);
    if (bytes.length >= 48) algs.add(JWSAlgorithm.HS384);
    if (bytes.length >= 64) algs.add(JWSAlgorithm.HS512);
    try {
      return new Key(null, new MACVerifier(bytes), Set.copyOf(algs));
    } catch (JOSEException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * A key from PEM text: {@code PUBLIC KEY} (SubjectPublicKeyInfo, RSA or EC) or {@code CERTIFICATE}.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  static Key pem(String pem) {
    String text = pem.strip();
    PublicKey key;
    if (text.startsWith("-----BEGIN CERTIFICATE-----")) {
      try {
        key = CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)))
            .getPublicKey();
      } catch (CertificateException e) {
        throw new IllegalArgumentException("not a valid PEM certificate: " + e.getMessage(), e);
      }
    } else if (text.startsWith("-----BEGIN PUBLIC KEY-----") && text.endsWith("-----END PUBLIC KEY-----")) {
      String base64 = text.substring("-----BEGIN PUBLIC KEY-----".length(), text.length() - "-----END PUBLIC KEY-----".length());
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(base64.replaceAll("\\s", ""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid base64 in the PEM: " + e.getMessage(), e);
      }
      key = decode(der);
    } else {
      throw new IllegalArgumentException("expected a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----) "
          + "or certificate (-----BEGIN CERTIFICATE-----)");
    }
    return publicKey(null, key, null);
  }

  private static PublicKey decode(byte[] der) {
    for (String algorithm : List.of("RSA", "EC")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
      } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
        // try the next type
      }
    }
    throw new IllegalArgumentException("not an RSA or EC public key");
  }

  /**
   * A key from a JWK of a JWK Set, or null when it cannot verify signatures here: a symmetric or
   * OKP key, an encryption key ({@code use: enc}), an RSA key under {@link #MIN_RSA_BITS}.
   */
  static @Nullable Key jwk(JWK jwk) {
    if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) return null;
    JWSAlgorithm declared = jwk.getAlgorithm() == null ? null : algorithm(jwk.getAlgorithm().getName());
    if (jwk.getAlgorithm() != null && declared == null) return null;
    try {
      if (jwk instanceof RSAKey rsa) return publicKey(jwk.getKeyID(), rsa.toRSAPublicKey(), declared);
      if (jwk instanceof ECKey ec) return publicKey(jwk.getKeyID(), ec.toECPublicKey(), declared);
    } catch (JOSEException | IllegalArgumentException e) {
      return null;
    }
    return null;
  }

  private static Key publicKey(@Nullable String kid, PublicKey key, @Nullable JWSAlgorithm only) {
    try {
      if (key instanceof RSAPublicKey rsa) {
        int bits = rsa.getModulus().bitLength();
        if (bits < MIN_RSA_BITS) {
          throw new IllegalArgumentException("RSA key of " + bits + " bits; expected at least " + MIN_RSA_BITS);
        }
        return new Key(kid, new RSASSAVerifier(rsa), restrict(RSA, only));
      }
      if (key instanceof ECPublicKey ec) {
        JWSAlgorithm alg = ECDSA.resolveAlgorithm(ec);
        if (!EC.contains(alg)) throw new IllegalArgumentException("EC key on an unsupported curve");
        return new Key(kid, new ECDSAVerifier(ec), restrict(List.of(alg), only));
      }
    } catch (JOSEException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    throw new IllegalArgumentException("a " + key.getAlgorithm() + " key; expected RSA or EC");
  }

  private static Set<JWSAlgorithm> restrict(List<JWSAlgorithm> family, @Nullable JWSAlgorithm only) {
    if (only == null) return Set.copyOf(family);
    if (!family.contains(only)) throw new IllegalArgumentException("the key's alg " + only + " does not fit its type");
    return Set.of(only);
  }
}
