package dev.apexpulse.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelNameTest {

  @Test
  void normalisesALeadingSlash() {
    assertThat(ChannelName.normalise("/dashboard/department/3")).isEqualTo("dashboard/department/3");
    assertThat(ChannelName.normalise("chat:room@7/a_b.c-d")).isEqualTo("chat:room@7/a_b.c-d");
  }

  @Test
  void refusesWhatTheContractForbids() {
    for (Object bad : new Object[] {null, 7, "", "/", "a//b", "a/", "a b", "a/%2F", "ü", "a\nb", "x".repeat(256),
        "a/".repeat(16) + "a", "a/*"}) {
      assertThatThrownBy(() -> ChannelName.normalise(bad)).as(String.valueOf(bad))
          .isInstanceOf(ChannelName.InvalidChannelException.class);
    }
    assertThat(ChannelName.normalise("a/".repeat(15) + "a")).hasSize(31);
    assertThat(ChannelName.normalise("x".repeat(255))).hasSize(255);
  }

  @Test
  void patternsMatchSegmentWise() {
    ChannelPattern one = ChannelPattern.compile("dashboard/*/3", "scott");
    assertThat(one.matches("dashboard/department/3")).isTrue();
    assertThat(one.matches("dashboard/3")).isFalse();
    assertThat(one.matches("dashboard/a/b/3")).isFalse();
    assertThat(one.matches("dashboard/department/30")).isFalse();

    ChannelPattern rest = ChannelPattern.compile("/chat/**", "scott");
    assertThat(rest.matches("chat/room")).isTrue();
    assertThat(rest.matches("chat/room/7/x")).isTrue();
    assertThat(rest.matches("chat")).isFalse();
    assertThat(rest.matches("chatter/room")).isFalse();

    ChannelPattern all = ChannelPattern.compile("**", null);
    assertThat(all.matches("anything/at/all")).isTrue();

    ChannelPattern mine = ChannelPattern.compile("user/{sub}", "scott");
    assertThat(mine.matches("user/scott")).isTrue();
    assertThat(mine.matches("user/scottie")).isFalse();
    assertThat(mine.matches("user/scott/x")).isFalse();
  }

  @Test
  void malformedPatternsOrTrickySubjectsGrantNothing() {
    assertThat(ChannelPattern.compile("a/**/b", "s")).isNull();
    assertThat(ChannelPattern.compile("", "s")).isNull();
    assertThat(ChannelPattern.compile("a//b", "s")).isNull();
    assertThat(ChannelPattern.compile("user/{sub}", "../admin")).isNull();
    assertThat(ChannelPattern.compile("user/{sub}", "a/b")).isNull();
    assertThat(ChannelPattern.compile("user/{sub}", "*")).isNull();
    assertThat(ChannelPattern.compile("user/{sub}", null)).isNull();
    assertThat(ChannelPattern.compile("a/b*", "s")).isNull();
  }
}
