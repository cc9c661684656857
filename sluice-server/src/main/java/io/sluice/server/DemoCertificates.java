package io.sluice.server;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The demo's HTTPS certificate: a CA of its own ({@value #CA_FILE}) and a certificate it signs for
 * {@code localhost} and {@code 127.0.0.1} ({@value #CERT_FILE}, key {@value #KEY_FILE}), made in the
 * certificate directory when they are not there yet, valid for a year. EC P-256. Not for production:
 * the CA's key is thrown away, so nothing else can ever be signed with it.
 */
final class DemoCertificates {
  static final String CA_FILE = "demo-ca.pem";
  static final String CERT_FILE = "demo.pem";
  static final String KEY_FILE = "demo.key";

  private DemoCertificates() {}

  /** Makes the files in {@code certDir} unless {@value #CERT_FILE} is there; returns the CA file. */
  static Path ensure(Path certDir) throws IOException {
    Path ca = certDir.resolve(CA_FILE);
    if (Files.exists(certDir.resolve(CERT_FILE)) && Files.exists(certDir.resolve(KEY_FILE)) && Files.exists(ca)) return ca;
    Files.createDirectories(certDir);
    try {
      KeyPair caKeys = keys();
      KeyPair leafKeys = keys();
      Instant now = Instant.now();
      X509Certificate caCert = sign("CN=Sluice demo CA", "CN=Sluice demo CA", caKeys, caKeys.getPrivate(), true, now);
      X509Certificate leaf = sign("CN=localhost", "CN=Sluice demo CA", leafKeys, caKeys.getPrivate(), false, now);
      Files.writeString(ca, pem(caCert));
      Files.writeString(certDir.resolve(CERT_FILE), pem(leaf));
      Path key = certDir.resolve(KEY_FILE);
      Files.writeString(key, pem(new JcaPKCS8Generator(leafKeys.getPrivate(), null)));
      if (key.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      }
      return ca;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make the demo certificate: " + e.getMessage(), e);
    }
  }

  private static KeyPair keys() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate sign(String subject, String issuer, KeyPair subjectKeys, PrivateKey signer, boolean ca, Instant now)
      throws CertIOException, OperatorCreationException, GeneralSecurityException {
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer), new BigInteger(64, new SecureRandom()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(365))), new X500Name(subject),
        subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (ca) {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    }
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
  }

  private static String pem(Object o) throws IOException {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o);
    }
    return w.toString();
  }
}
