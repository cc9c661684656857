package io.sluice.api.secret;

import io.sluice.api.validate.PathPolicy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The parsed content of a {@link SecretSpec}: what validation checks and what the data plane builds
 * its TLS contexts from, so that both read the PEM the same way. Immutable.
 *
 * @param chain the certificate chain, leaf first; empty when the Secret has only a CA bundle
 * @param key the leaf's private key; null exactly when {@code chain} is empty
 * @param ca the CA certificates for client verification; empty when none
 */
public record SecretMaterial(List<X509Certificate> chain, @Nullable PrivateKey key, List<X509Certificate> ca) {
  public SecretMaterial {
    chain = List.copyOf(chain);
    ca = List.copyOf(ca);
  }

  /** What is wrong with a Secret: the field and the message. */
  public static final class Problem extends Exception {
    private final String field;

    Problem(String field, String message) {
      super(message);
      this.field = field;
    }

    /** The field of the Secret, such as {@code spec.tls.privateKey}. */
    public String field() {
      return field;
    }
  }

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  /**
   * Reads and checks {@code spec}: PEM parses, the key matches the leaf, every certificate of the
   * chain is valid now. Files are read through {@code paths} (the certificate directory).
   *
   * @throws Problem naming the first field that is wrong
   */
  public static SecretMaterial load(SecretSpec spec, PathPolicy paths) throws Problem {
    SecretSpec.Tls tls = spec.tls();
    if (tls == null && spec.value() != null) {
      if (spec.value().isEmpty()) throw new Problem("spec.value", "empty; expected the shared secret");
      // A shared secret (a Webhook's key) holds no TLS material: a Listener or Upstream naming it is told so.
      return new SecretMaterial(List.of(), null, List.of());
    }
    // Keyed data (SecretData checks it) holds no TLS material either.
    if (tls == null && !spec.data().isEmpty()) return new SecretMaterial(List.of(), null, List.of());
    if (tls == null) throw new Problem("spec.tls", "missing; expected certificate and privateKey (or certificateFile and privateKeyFile), or ca;"
        + " or value (a shared secret); or data (keyed base64 values)");
    String cert = text(tls.certificate(), tls.certificateFile(), "spec.tls.certificate", paths);
    String key = text(tls.privateKey(), tls.privateKeyFile(), "spec.tls.privateKey", paths);
    String ca = text(tls.ca(), tls.caFile(), "spec.tls.ca", paths);
    String certField = tls.certificateFile() != null ? "spec.tls.certificateFile" : "spec.tls.certificate";
    String keyField = tls.privateKeyFile() != null ? "spec.tls.privateKeyFile" : "spec.tls.privateKey";
    if (cert == null && key == null && ca == null) {
      throw new Problem("spec.tls", "empty; expected certificate and privateKey (or certificateFile and privateKeyFile), or ca");
    }
    if (cert != null && key == null) throw new Problem("spec.tls.privateKey", "missing; a certificate needs its private key (privateKey or privateKeyFile)");
    if (cert == null && key != null) throw new Problem("spec.tls.certificate", "missing; a private key needs its certificate (certificate or certificateFile)");
    List<X509Certificate> chain = cert == null ? List.of() : certificates(cert, certField);
    PrivateKey pk = key == null ? null : privateKey(key, keyField);
    if (pk != null) {
      X509Certificate leaf = chain.getFirst();
      if (!matches(pk, leaf.getPublicKey())) {
        throw new Problem(keyField, "does not match the certificate (" + leaf.getSubjectX500Principal().getName() + ")");
      }
      for (X509Certificate c : chain) valid(c, certField);
    }
    List<X509Certificate> cas = ca == null ? List.of() : certificates(ca, tls.caFile() != null ? "spec.tls.caFile" : "spec.tls.ca");
    return new SecretMaterial(chain, pk, cas);
  }

  /** The leaf certificate; only for a Secret with a chain. */
  public X509Certificate leaf() {
    return chain.getFirst();
  }

  /** The DNS names of the leaf's subjectAltName extension (IP addresses too, as text), lower case. */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> sans = leaf().getSubjectAlternativeNames();
      if (sans == null) return out;
      for (List<?> san : sans) {
        Object type = san.get(0);
        if (type instanceof Integer t && (t == 2 || t == 7)) out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
      }
    } catch (CertificateException e) {
      // An unparsable extension holds no usable name.
    }
    return out;
  }

  /**
   * Whether the leaf's subjectAltNames cover {@code host} (lower case): the same name, or a wildcard
   * name {@code *.b.example} for a host one label below it. A host {@code *.b.example} needs the
   * certificate's {@code *.b.example}.
   */
  public boolean covers(String host) {
    for (String n : names()) {
      if (n.equals(host)) return true;
      if (n.startsWith("*.") && !host.startsWith("*.")) {
        int dot = host.indexOf('.');
        if (dot > 0 && host.substring(dot + 1).equals(n.substring(2))) return true;
      }
    }
    return false;
  }

  private static @Nullable String text(@Nullable String inline, @Nullable String file, String field, PathPolicy paths)
      throws Problem {
    if (inline != null && file != null) throw new Problem(field, "set with " + field.substring(field.lastIndexOf('.') + 1) + "File; expected one of them");
    if (file == null) return inline;
    String fileField = field + "File";
    String problem = paths.problem(PathPolicy.Directory.CERTS, file);
    if (problem != null) throw new Problem(fileField, problem);
    Path p = paths.resolve(PathPolicy.Directory.CERTS, file);
    try {
      return Files.readString(p, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new Problem(fileField, "cannot read " + p + ": " + e);
    }
  }

  private static List<X509Certificate> certificates(String pem, String field) throws Problem {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory f = CertificateFactory.getInstance("X.509");
      Matcher m = BLOCK.matcher(pem);
      while (m.find()) {
        if (!m.group(1).equals("CERTIFICATE")) {
          throw new Problem(field, "holds a PEM " + m.group(1) + " block; expected CERTIFICATE blocks");
        }
        out.add((X509Certificate) f.generateCertificate(new ByteArrayInputStream(der(m.group(2), field))));
      }
    } catch (CertificateException e) {
      throw new Problem(field, "not a valid X.509 certificate: " + e.getMessage());
    }
    if (out.isEmpty()) throw new Problem(field, "no PEM certificate found; expected -----BEGIN CERTIFICATE----- blocks");
    return out;
  }

  private static PrivateKey privateKey(String pem, String field) throws Problem {
    Matcher m = BLOCK.matcher(pem);
    if (!m.find()) throw new Problem(field, "no PEM private key found; expected -----BEGIN PRIVATE KEY----- (PKCS#8) or -----BEGIN RSA PRIVATE KEY-----");
    byte[] der = der(m.group(2), field);
    String type = m.group(1);
    if (type.equals("RSA PRIVATE KEY")) {
      der = pkcs1ToPkcs8(der);
    } else if (!type.equals("PRIVATE KEY")) {
      throw new Problem(field, "holds a PEM " + type + " block; expected PRIVATE KEY (PKCS#8, RSA or EC) or RSA PRIVATE KEY");
    }
    for (String alg : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // Try the next algorithm: PKCS#8 names it, but KeyFactory has no way to ask.
      }
    }
    throw new Problem(field, "not a valid RSA or EC private key");
  }

  private static byte[] der(String base64, String field) throws Problem {
    try {
      return Base64.getMimeDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new Problem(field, "invalid base64 in PEM: " + e.getMessage());
    }
  }

  /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (version 0, rsaEncryption, the key as OCTET STRING). */
  private static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
    byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    byte[] version = {0x02, 0x01, 0x00};
    byte[] octets = tlv(0x04, pkcs1);
    byte[] body = new byte[version.length + algorithm.length + octets.length];
    System.arraycopy(version, 0, body, 0, version.length);
    System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
    System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
    return tlv(0x30, body);
  }

  private static byte[] tlv(int tag, byte[] value) {
    byte[] len = value.length < 128 ? new byte[] {(byte) value.length} : lengthBytes(value.length);
    byte[] out = new byte[1 + len.length + value.length];
    out[0] = (byte) tag;
    System.arraycopy(len, 0, out, 1, len.length);
    System.arraycopy(value, 0, out, 1 + len.length, value.length);
    return out;
  }

  private static byte[] lengthBytes(int n) {
    byte[] b = BigInteger.valueOf(n).toByteArray();
    int start = b[0] == 0 ? 1 : 0;
    byte[] out = new byte[1 + b.length - start];
    out[0] = (byte) (0x80 | (b.length - start));
    System.arraycopy(b, start, out, 1, b.length - start);
    return out;
  }

  /** Whether {@code key} signs what {@code pub} verifies: the one check that works for every key type. */
  private static boolean matches(PrivateKey key, PublicKey pub) {
    if (!key.getAlgorithm().equals(pub.getAlgorithm()) && !(key.getAlgorithm().equals("EdDSA") || pub.getAlgorithm().equals("EdDSA"))) {
      return false;
    }
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm();
    };
    try {
      byte[] data = "sluice key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(data);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(data);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static void valid(X509Certificate c, String field) throws Problem {
    try {
      c.checkValidity(new Date());
    } catch (CertificateExpiredException e) {
      throw new Problem(field, "certificate " + c.getSubjectX500Principal().getName() + " expired on " + c.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      throw new Problem(field, "certificate " + c.getSubjectX500Principal().getName() + " is not valid before " + c.getNotBefore().toInstant());
    }
  }
}
