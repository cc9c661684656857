package io.sluice.server.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code X-Sluice-Signature} header of a delivery: {@code t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "t.body" under the Webhook's secret>} (docs/security.md "Webhook signatures"). The timestamp is
 * signed with the body, so a receiver that refuses old timestamps refuses replays. Stateless.
 */
public final class Signature {
  private Signature() {}

  /** The header value for {@code body} sent at {@code unixSeconds}. */
  public static String header(String secret, long unixSeconds, String body) {
    return "t=" + unixSeconds + ",v1=" + hmac(secret, unixSeconds + "." + body);
  }

  /** HMAC-SHA256 of {@code text} under {@code secret}, in lower-case hex. */
  public static String hmac(String secret, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has HmacSHA256", e);
    }
  }
}
