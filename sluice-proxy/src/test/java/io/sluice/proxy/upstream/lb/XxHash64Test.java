package io.sluice.proxy.upstream.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Expected values are from the reference implementation (libxxhash 0.8.1, XXH64 of the UTF-8 bytes). */
class XxHash64Test {
  private static final int[] LENGTHS = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 35, 36, 40, 63, 64, 65, 100};
  private static final long[] EXPECTED = {
    0xEF46DB3751D8E999L, 0x633457081244AFECL, 0x4444A99074F6B709L, 0x2D729A7F738A710AL,
    0x8C36553CEDE67CA2L, 0x81CF4C6504E5940DL, 0x3795B4E2C1F73293L, 0x9F4F4EB80C44BEE9L,
    0xECEC4D5334445F49L, 0x2E76460D08B84514L, 0x99700D3BA22A068DL, 0x5895AC54807582CCL,
    0x3954E7C398205CEDL, 0x83BC5F45C3E184D7L, 0x6C512F23B3F94F64L, 0x1A202E3C63D57BD5L,
    0xFDCA746D0AC54B07L, 0x1FDE81036CC245CCL, 0x8C344406AED72479L, 0x29028F55EDB46AA9L,
    0xA81ED11DA01E37A6L,
  };

  @Test
  void matchesTheReferenceForEveryTailAndStripeLength() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      text.append(i % 7 == 0 ? (char) ('0' + i % 10) : (char) ('a' + i % 26));
    }
    for (int i = 0; i < LENGTHS.length; i++) {
      String prefix = text.substring(0, LENGTHS[i]);
      assertThat(XxHash64.hash(prefix)).as("length %d", LENGTHS[i]).isEqualTo(EXPECTED[i]);
    }
  }

  @Test
  void hashesTheUtf8EncodingOfTwoThreeAndFourByteCharacters() {
    assertThat(XxHash64.hash("é")).isEqualTo(0x17D757DFB8B46F78L);
    assertThat(XxHash64.hash("ü/€")).isEqualTo(0x2F4FBA1C23B04CEBL);
    assertThat(XxHash64.hash("😀")).isEqualTo(0x9025B8ABAAE87B80L);
    assertThat(XxHash64.hash("grüße, 世界 😀 — 0123456789 abcdefghijklmnop")).isEqualTo(0x649D6BCFAED2DD59L);
  }

  @Test
  void usesTheSeed() {
    assertThat(XxHash64.hash("10.0.0.1:8080", 1)).isEqualTo(0x0DFCE9EFD349B428L);
    assertThat(XxHash64.hash("abc", 0x9E3779B97F4A7C15L)).isEqualTo(0x2ED0F59D6B43AC8BL);
  }

  @Test
  void hashesAnUnpairedSurrogateAsTheQuestionMarkThatGetBytesWrites() {
    String broken = "a\uD800b\uDC00";
    assertThat(new String(broken.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo("a?b?");
    assertThat(XxHash64.hash(broken)).isEqualTo(XxHash64.hash("a?b?"));
  }
}
