package io.sluice.proxy.upstream.lb;

/**
 * xxHash64 (XXH64) of the UTF-8 encoding of a string, computed without encoding it into a byte
 * array, so hashing a request key allocates nothing. The result equals the reference XXH64 of
 * {@code s.getBytes(UTF_8)}, including the {@code '?'} that {@code getBytes} writes for an unpaired
 * surrogate; that equality is what keeps hash tables the same across gateway nodes and versions.
 *
 * <p>Stateless; safe from any thread.
 */
final class XxHash64 {
  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  private XxHash64() {}

  static long hash(CharSequence s) {
    return hash(s, 0);
  }

  static long hash(CharSequence s, long seed) {
    long v1 = seed + P1 + P2;
    long v2 = seed + P2;
    long v3 = seed;
    long v4 = seed - P1;
    // Bytes are gathered little-endian into 8-byte lanes; four lanes make a 32-byte stripe. Lanes
    // of an incomplete final stripe wait in l0..l2, because XXH64 treats them as tail, not stripe.
    long lane = 0;
    int laneBytes = 0;
    long l0 = 0;
    long l1 = 0;
    long l2 = 0;
    int lanes = 0;
    long total = 0;
    int length = s.length();
    for (int i = 0; i < length; i++) {
      int c = s.charAt(i);
      int utf8;
      int n;
      if (c < 0x80) {
        utf8 = c;
        n = 1;
      } else if (c < 0x800) {
        utf8 = (0xC0 | c >>> 6) | (0x80 | c & 0x3F) << 8;
        n = 2;
      } else if (!Character.isSurrogate((char) c)) {
        utf8 = (0xE0 | c >>> 12) | (0x80 | c >>> 6 & 0x3F) << 8 | (0x80 | c & 0x3F) << 16;
        n = 3;
      } else if (Character.isHighSurrogate((char) c)
          && i + 1 < length
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint((char) c, s.charAt(++i));
        utf8 = (0xF0 | cp >>> 18)
            | (0x80 | cp >>> 12 & 0x3F) << 8
            | (0x80 | cp >>> 6 & 0x3F) << 16
            | (0x80 | cp & 0x3F) << 24;
        n = 4;
      } else {
        utf8 = '?';
        n = 1;
      }
      total += n;
      for (; n > 0; n--, utf8 >>>= 8) {
        lane |= (long) (utf8 & 0xFF) << (laneBytes << 3);
        if (++laneBytes < 8) {
          continue;
        }
        switch (lanes) {
          case 0 -> l0 = lane;
          case 1 -> l1 = lane;
          case 2 -> l2 = lane;
          default -> {
            v1 = round(v1, l0);
            v2 = round(v2, l1);
            v3 = round(v3, l2);
            v4 = round(v4, lane);
          }
        }
        lanes = (lanes + 1) & 3;
        lane = 0;
        laneBytes = 0;
      }
    }

    long h;
    if (total >= 32) {
      h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7)
          + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
      h = mergeRound(h, v1);
      h = mergeRound(h, v2);
      h = mergeRound(h, v3);
      h = mergeRound(h, v4);
    } else {
      h = seed + P5;
    }
    h += total;
    if (lanes > 0) {
      h = tailLane(h, l0);
    }
    if (lanes > 1) {
      h = tailLane(h, l1);
    }
    if (lanes > 2) {
      h = tailLane(h, l2);
    }
    if (laneBytes >= 4) {
      h ^= (lane & 0xFFFFFFFFL) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      lane >>>= 32;
      laneBytes -= 4;
    }
    for (; laneBytes > 0; laneBytes--, lane >>>= 8) {
      h ^= (lane & 0xFF) * P5;
      h = Long.rotateLeft(h, 11) * P1;
    }
    h ^= h >>> 33;
    h *= P2;
    h ^= h >>> 29;
    h *= P3;
    h ^= h >>> 32;
    return h;
  }

  private static long round(long acc, long input) {
    return Long.rotateLeft(acc + input * P2, 31) * P1;
  }

  private static long mergeRound(long acc, long v) {
    return (acc ^ round(0, v)) * P1 + P4;
  }

  private static long tailLane(long h, long lane) {
    return Long.rotateLeft(h ^ round(0, lane), 27) * P1 + P4;
  }
}
