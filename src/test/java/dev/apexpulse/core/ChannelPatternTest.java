package dev.apexpulse.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Grants cannot be widened by tricks in patterns, subjects or channel names (docs/PROTOCOL.md, Grants). */
class ChannelPatternTest {

  private static boolean grants(String pattern, String subject, String channel) {
    ChannelPattern p = ChannelPattern.compile(pattern, subject);
    String normalised;
    try {
      normalised = ChannelName.normalise(channel);
    } catch (ChannelName.InvalidChannelException e) {
      return false; // refused before any grant is looked at
    }
    return p != null && p.matches(normalised);
  }

  @ParameterizedTest(name = "{0} for sub={1} on {2}: {3}")
  @CsvSource(delimiter = '|', value = {
      // {sub} is one literal segment
      "user/{sub}    | scott     | user/scott         | true",
      "user/{sub}    | scott     | user/scott/x       | false",
      "user/{sub}    | scott     | user/scottie       | false",
      "user/{sub}    | x/y       | user/x/y           | false",
      "user/{sub}    | x/y       | user/x             | false",
      "user/{sub}    | ..        | user/..            | true",
      "user/{sub}    | ..        | admin              | false",
      "user/{sub}    | ../admin  | admin              | false",
      "user/{sub}    | ../admin  | user/../admin      | false",
      "user/{sub}    | *         | user/king          | false",
      "user/{sub}    | **        | user/king/x        | false",
      "user/{sub}    | %2F       | user/%2F           | false",
      "user/{sub}    | a%2Fb     | user/a/b           | false",
      "user/{sub}    | scott/    | user/scott         | false",
      "user/{sub}    | SCOTT     | user/scott         | false",
      "user/{sub}    | SCOTT     | user/SCOTT         | true",
      "user/{sub}    | ' '       | user/              | false",
      "user-{sub}    | scott     | user-scott         | false",
      "{sub}/**      | scott     | scott/inbox        | true",
      "{sub}/**      | *         | anyone/inbox       | false",
      // wildcards and structure
      "chat/*        | s         | chat/room          | true",
      "chat/*        | s         | chat/room/7        | false",
      "chat/*        | s         | chat               | false",
      "chat/**       | s         | chat               | false",
      "chat/**       | s         | chat/a/b/c         | true",
      "chat/**       | s         | chatter/a          | false",
      "chat/**       | s         | CHAT/a             | false",
      "chat/**       | s         | /chat/a            | true",
      "/chat/**      | s         | chat/a             | true",
      "chat/**       | s         | //chat/a           | false",
      "chat/**       | s         | chat/../admin      | true",  // '..' is just a segment name inside chat/
      "chat/**       | s         | chat%2F../admin    | false",
      "chat/**       | s         | chat/a/            | false",
      "chat/**       | s         | chat//a            | false",
      // malformed patterns grant nothing
      "chat/         | s         | chat/a             | false",
      "a/**/b        | s         | a/x/b              | false",
      "dash*         | s         | dashboard          | false",
      "x//y          | s         | x/y                | false",
      "**/x          | s         | a/x                | false",
      "chat/%2A      | s         | chat/a             | false",
  })
  void patternsMatchSegmentBySegment(String pattern, String subject, String channel, boolean expected) {
    assertThat(grants(pattern, subject.equals("' '") ? " " : subject, channel)).isEqualTo(expected);
  }

  @Test
  void emptyAndNullPatternsGrantNothing() {
    assertThat(ChannelPattern.compile("", "s")).isNull();
    assertThat(ChannelPattern.compile("/", "s")).isNull();
    assertThat(ChannelPattern.compile(null, "s")).isNull();
    assertThat(ChannelPattern.compile("user/{sub}", null)).isNull();
    assertThat(ChannelPattern.compile("user/{sub}", "")).isNull();
  }

  @Test
  void controlCharactersAndLookAlikesAreNeitherSubjectsNorChannels() {
    for (String sub : List.of("sc\u0000ott", "sc\nott", "\u0455cott", "scott\u200b", "sc ott")) {
      assertThat(ChannelPattern.compile("user/{sub}", sub)).as(sub).isNull();
      assertThat(grants("user/**", "x", "user/" + sub)).as(sub).isFalse();
    }
  }
}
