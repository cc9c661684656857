package io.sluice.proxy.tls.internal;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.sluice.filter.ClientCertificate;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.security.auth.x500.X500Principal;
import org.jspecify.annotations.Nullable;

/**
 * What a TLS connection says about its client: the scheme, and the client certificate the handshake
 * verified, with its {@code X-Forwarded-Client-Cert} field in the shape Envoy sends
 * ({@code Hash=...;Subject="...";URI=...;DNS=...}). Read once per connection, at its first request
 * (the handshake is over by then); immutable.
 *
 * @param certificate null on a plain connection or without a client certificate
 * @param forwardedLine the whole {@code X-Forwarded-Client-Cert: ...\r\n} field, or null with no certificate
 */
public record ClientIdentity(String scheme, @Nullable ClientCertificate certificate, byte @Nullable [] forwardedLine) {
  /** A connection without TLS. */
  public static final ClientIdentity PLAIN = new ClientIdentity("http", null, null);
  private static final ClientIdentity TLS_ANONYMOUS = new ClientIdentity("https", null, null);

  /** The identity of {@code channel}'s client: {@link #PLAIN} unless a TLS handler is in its pipeline. */
  public static ClientIdentity of(Channel channel) {
    SslHandler ssl = channel.pipeline().get(SslHandler.class);
    if (ssl == null) return PLAIN;
    SSLEngine engine = ssl.engine();
    // Without clientAuth there is no certificate to read: asking would throw (and fill a stack trace) per connection.
    if (!engine.getNeedClientAuth() && !engine.getWantClientAuth()) return TLS_ANONYMOUS;
    Certificate[] chain;
    try {
      chain = engine.getSession().getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return TLS_ANONYMOUS;
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) return TLS_ANONYMOUS;
    ClientCertificate c = describe(leaf);
    return new ClientIdentity("https", c, forwardedLine(c));
  }

  static ClientCertificate describe(X509Certificate leaf) {
    List<String> dns = new ArrayList<>();
    List<String> uris = new ArrayList<>();
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() < 2 || !(san.get(1) instanceof String v)) continue;
          if (Integer.valueOf(2).equals(san.get(0))) dns.add(v);
          if (Integer.valueOf(6).equals(san.get(0))) uris.add(v);
        }
      }
    } catch (CertificateParsingException e) {
      // The handshake verified this certificate; SANs it cannot parse are left out, not fatal.
    }
    String hash;
    try {
      hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot hash a verified client certificate", e);
    }
    return new ClientCertificate(leaf.getSubjectX500Principal().getName(X500Principal.RFC2253), dns, uris, hash);
  }

  /** {@code X-Forwarded-Client-Cert: Hash=...;Subject="...";URI=...;DNS=...\r\n}, as Envoy writes the field. */
  static byte[] forwardedLine(ClientCertificate c) {
    StringBuilder sb = new StringBuilder(160).append("X-Forwarded-Client-Cert: Hash=").append(c.sha256());
    sb.append(";Subject=");
    quoted(sb, c.subject());
    for (String u : c.uris()) value(sb.append(";URI="), u);
    for (String d : c.dnsNames()) value(sb.append(";DNS="), d);
    return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A value, quoted when it holds a separator of the field ({@code , ; =}) or a quote. */
  private static void value(StringBuilder sb, String v) {
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      if (ch == ',' || ch == ';' || ch == '=' || ch == '"' || ch < 0x20 || ch > 0x7e) {
        quoted(sb, v);
        return;
      }
    }
    sb.append(v);
  }

  /** Double-quoted, {@code "} and {@code \} escaped; what is not printable ASCII as RFC 4514 {@code \XX} UTF-8 escapes. */
  private static void quoted(StringBuilder sb, String v) {
    sb.append('"');
    for (byte b : v.getBytes(StandardCharsets.UTF_8)) {
      int ch = b & 0xff;
      if (ch == '"' || ch == '\\') {
        sb.append('\\').append((char) ch);
      } else if (ch < 0x20 || ch > 0x7e) {
        sb.append('\\').append(Character.toUpperCase(Character.forDigit(ch >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(ch & 0xf, 16)));
      } else {
        sb.append((char) ch);
      }
    }
    sb.append('"');
  }
}
