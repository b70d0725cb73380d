package dev.apexpulse.auth;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * API keys are compared in constant time (both sides SHA-256, then MessageDigest.isEqual, so neither
 * the position of the first difference nor the length of the presented key changes the work done);
 * this checks the answers, the code review the timing.
 */
class ApiKeysTest {
  static final String KEY = "test-api-key-0123456789";

  @Test
  void onlyTheExactKeyMatches() {
    assertThat(ApiKeys.matches(KEY, KEY)).isTrue();
    assertThat(ApiKeys.matches(KEY, new String(KEY.toCharArray()))).isTrue();
  }

  @Test
  void nearMissesAreRefused() {
    for (int i = 0; i < KEY.length(); i++) {
      char[] c = KEY.toCharArray();
      c[i] = (char) (c[i] ^ 1); // one bit off, at every position
      assertThat(ApiKeys.matches(KEY, new String(c))).as("differs at %d", i).isFalse();
    }
    assertThat(ApiKeys.matches(KEY, KEY.toUpperCase())).isFalse();
    assertThat(ApiKeys.matches(KEY, KEY + " ")).isFalse();
    assertThat(ApiKeys.matches(KEY, " " + KEY)).isFalse();
    assertThat(ApiKeys.matches(KEY, KEY.replace('0', '\u0660'))).isFalse(); // Arabic-Indic zero
  }

  @Test
  void otherLengthsAreRefused() {
    for (int n = 0; n < KEY.length(); n++) {
      assertThat(ApiKeys.matches(KEY, KEY.substring(0, n))).as("prefix of %d", n).isFalse();
    }
    assertThat(ApiKeys.matches(KEY, KEY + KEY)).isFalse();
    assertThat(ApiKeys.matches(KEY, "x".repeat(100_000))).isFalse();
  }

  @Test
  void noConfiguredKeyMatchesNothing() {
    assertThat(ApiKeys.matches(null, "")).isFalse();
    assertThat(ApiKeys.matches("", "")).isFalse();
    assertThat(ApiKeys.matches(null, null)).isFalse();
    assertThat(ApiKeys.matches(KEY, null)).isFalse();
  }
}
