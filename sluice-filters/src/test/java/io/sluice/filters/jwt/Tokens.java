package io.sluice.filters.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;

/** Keys and tokens signed in the tests, with nimbus-jose-jwt. */
final class Tokens {
  private Tokens() {}

  static KeyPair rsa() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  /** @param curve secp256r1, secp384r1 or secp521r1 */
  static KeyPair ec(String curve) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  /** The public key as PEM, on one YAML-safe line with {@code \n} escapes (for a double-quoted YAML string). */
  static String pemForYaml(KeyPair pair) {
    String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pair.getPublic().getEncoded());
    return ("-----BEGIN PUBLIC KEY-----\n" + base64 + "\n-----END PUBLIC KEY-----\n").replace("\n", "\\n");
  }

  static JWK jwk(KeyPair pair, String kid) {
    if (pair.getPublic() instanceof RSAPublicKey rsa) return new RSAKey.Builder(rsa).keyID(kid).build();
    ECPublicKey ec = (ECPublicKey) pair.getPublic();
    return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).keyID(kid).build();
  }

  static String jwks(JWK... keys) {
    return new JWKSet(List.of(keys)).toString(true);
  }

  static JWSSigner signer(KeyPair pair) throws JOSEException {
    if (pair.getPrivate() instanceof ECPrivateKey ec) return new ECDSASigner(ec);
    return new RSASSASigner(pair.getPrivate());
  }

  static JWSSigner signer(String secret) throws JOSEException {
    return new MACSigner(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Claims with {@code iss}, {@code sub}, {@code exp} five minutes ahead, edited by {@code edit}. */
  static JWTClaimsSet claims(String issuer, String subject, Consumer<JWTClaimsSet.Builder> edit) {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
        .issuer(issuer)
        .subject(subject)
        .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(5))));
    edit.accept(b);
    return b.build();
  }

  static JWTClaimsSet claims(String issuer, String subject) {
    return claims(issuer, subject, b -> {});
  }

  static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims) throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
    jwt.sign(signer);
    return jwt.serialize();
  }
}
