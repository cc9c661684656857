package io.sluice.proxy.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates for tests, made at test time: a CA and leaves it signs (EC P-256). */
public final class TestCerts {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A certificate with its key; {@link #certPem} and {@link #keyPem} in PEM (key as PKCS#8). */
  public record Issued(X509Certificate cert, KeyPair keys) {
    public String certPem() {
      return pem(cert);
    }

    public String keyPem() {
      return pem(keys.getPrivate());
    }

    public BigInteger serial() {
      return cert.getSerialNumber();
    }

    /** Writes the certificate to {@code path} and returns it. */
    public Path writeCert(Path path) {
      try {
        return Files.writeString(path, certPem());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private final Issued ca;

  private TestCerts(Issued ca) {
    this.ca = ca;
  }

  /** A new CA named {@code CN=cn}. */
  public static TestCerts ca(String cn) {
    KeyPair k = keys();
    return new TestCerts(new Issued(build("CN=" + cn, "CN=" + cn, k.getPublic(), k, true, Instant.now().minus(Duration.ofDays(1)),
        Instant.now().plus(Duration.ofDays(30))), k));
  }

  public Issued caCert() {
    return ca;
  }

  /** A leaf valid for a month, for the DNS names (or IP addresses) in {@code sans}. */
  public Issued leaf(String cn, String... sans) {
    return leaf(cn, Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30)), sans);
  }

  public Issued leaf(String cn, Instant notBefore, Instant notAfter, String... sans) {
    KeyPair k = keys();
    return new Issued(build("CN=" + cn, ca.cert.getSubjectX500Principal().getName(), k.getPublic(), ca.keys, false, notBefore, notAfter, sans), k);
  }

  private static KeyPair keys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate build(String subject, String issuer, java.security.PublicKey pub, KeyPair signer, boolean ca,
      Instant notBefore, Instant notAfter, String... sans) {
    try {
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(SERIAL.incrementAndGet()),
          Date.from(notBefore), Date.from(notAfter), new X500Name(subject), pub);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      if (sans.length > 0) {
        GeneralName[] names = new GeneralName[sans.length];
        for (int i = 0; i < sans.length; i++) {
          names[i] = sans[i].matches("[0-9.]+") ? new GeneralName(GeneralName.iPAddress, sans[i]) : new GeneralName(GeneralName.dNSName, sans[i]);
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(Object o) {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o instanceof java.security.PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }
}
