package io.sluice.filters.common;

import io.netty.util.NetUtil;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * An IPv4 or IPv6 network ({@code 10.0.0.0/8}, {@code 2001:db8::/32}) or single address
 * ({@code 192.0.2.7}, {@code ::1}). IPv4-mapped IPv6 addresses ({@code ::ffff:192.0.2.7}) count as
 * the IPv4 address. Immutable.
 */
public final class Cidr {
  private final byte[] network;
  private final int prefix;

  private Cidr(byte[] network, int prefix) {
    this.network = network;
    this.prefix = prefix;
  }

  /**
   * Parses {@code address[/prefix]}.
   *
   * @throws IllegalArgumentException naming the text and what was expected
   */
  public static Cidr parse(String text) {
    String t = text.strip();
    int slash = t.indexOf('/');
    byte[] addr = address(slash < 0 ? t : t.substring(0, slash));
    if (addr == null) {
      throw new IllegalArgumentException("invalid address '" + text + "': expected an IPv4 or IPv6 address or CIDR "
          + "such as 10.0.0.0/8 or 2001:db8::/32");
    }
    int max = addr.length * 8;
    int prefix = max;
    if (slash >= 0) {
      String p = t.substring(slash + 1);
      if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > max) {
        throw new IllegalArgumentException("invalid prefix length in '" + text + "': expected 0 to " + max);
      }
      prefix = Integer.parseInt(p);
    }
    byte[] net = addr.clone();
    for (int bit = prefix; bit < max; bit++) net[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    if (!Arrays.equals(net, addr)) {
      throw new IllegalArgumentException("'" + text + "' has host bits set; expected the network address "
          + NetUtil.bytesToIpAddress(net) + "/" + prefix);
    }
    return new Cidr(net, prefix);
  }

  /**
   * The bytes of an IP address literal (4 for IPv4, also for IPv4-mapped IPv6; 16 for IPv6), or null
   * when {@code text} is not one. Never resolves a name: the text may come from a client.
   */
  public static byte @Nullable [] address(String text) {
    String t = text.strip();
    if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
    int zone = t.indexOf('%');
    if (zone >= 0) t = t.substring(0, zone);
    byte[] b = NetUtil.createByteArrayFromIpAddressString(t);
    if (b == null) return null;
    if (b.length == 16 && isMappedV4(b)) return Arrays.copyOfRange(b, 12, 16);
    return b;
  }

  private static boolean isMappedV4(byte[] b) {
    for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }

  /** Whether {@code address} (from {@link #address}) is in this network. */
  public boolean contains(byte[] address) {
    if (address.length != network.length) return false;
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (address[i] != network[i]) return false;
    }
    int rest = prefix % 8;
    if (rest == 0) return true;
    int mask = 0xff << (8 - rest) & 0xff;
    return (address[full] & mask) == (network[full] & 0xff);
  }

  @Override
  public String toString() {
    return NetUtil.bytesToIpAddress(network) + "/" + prefix;
  }
}
