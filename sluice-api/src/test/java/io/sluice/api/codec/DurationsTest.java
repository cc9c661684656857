package io.sluice.api.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @ParameterizedTest
  @CsvSource({"PT0S, 0s", "PT0.25S, 250ms", "PT1.5S, 1500ms", "PT5S, 5s", "PT90S, 90s", "PT2M, 2m", "PT2H, 2h",
      "PT48H, 2d", "PT0.0000015S, PT0.0000015S", "PT-5S, PT-5S"})
  void writesTheShortestFormThatReadsBackEqual(String iso, String written) {
    Duration d = Duration.parse(iso);

    assertThat(Durations.format(d)).isEqualTo(written);
    assertThat(Durations.parse(written)).isEqualTo(d);
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "", "5 s", "5S", "s", "1.5s", "-5s", "P", "99999999999999999999s", "106751991167301d"})
  void refusesTextThatIsNotADurationNamingTheForms(String text) {
    assertThatIllegalArgumentException().isThrownBy(() -> Durations.parse(text))
        .withMessage("expected a duration such as 250ms, 5s or 1m, got '" + text + "'");
  }
}
