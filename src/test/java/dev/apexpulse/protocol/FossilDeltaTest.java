package dev.apexpulse.protocol;

import dev.apexpulse.support.NpmFossil;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.apexpulse.support.Dashboards.WORDS;
import static dev.apexpulse.support.Dashboards.dashboard;
import static dev.apexpulse.support.Dashboards.oneNumberChanged;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway's Fossil encoder against the npm package fossil-delta, an independent decoder: every
 * delta, over generated dashboards, random edits of text and bytes and the edge cases, must give
 * exactly its target there, checksum verified.
 */
@Timeout(120)
class FossilDeltaTest {

  @Test
  void deltasOfDashboardsEditsAndEdgeCasesDecodeWithFossilDeltaFromNpm() throws Exception {
    Random r = new Random(19);
    List<NpmFossil.Case> cases = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      String before = dashboard(r).encode();
      String after = oneNumberChanged(new JsonObject(before), r).encode();
      cases.add(text("dashboard " + i, before, after));
    }
    for (int i = 0; i < 150; i++) {
      String before = dashboard(r).encode();
      cases.add(text("text edits " + i, before, edited(before, r)));
    }
    for (int i = 0; i < 100; i++) {
      byte[] before = new byte[r.nextInt(3000)];
      r.nextBytes(before);
      byte[] after = editedBytes(before, r);
      cases.add(new NpmFossil.Case("byte edits " + i, before, FossilDelta.encode(before, after), after));
    }
    String d = dashboard(r).encode();
    cases.add(text("empty to empty", "", ""));
    cases.add(text("empty to text", "", d));
    cases.add(text("text to empty", d, ""));
    cases.add(text("identical", d, d));
    cases.add(text("unrelated", d, dashboard(new Random(7)).encode().replace('"', '\'')));
    cases.add(text("source of one window", "0123456789abcdef", "0123456789abcdef!"));
    cases.add(text("source one past a window", "0123456789abcdefg", "0123456789abcdefg!"));
    cases.add(text("repetitive", "ab".repeat(3000), "ab".repeat(1500) + "x" + "ab".repeat(1500)));
    cases.add(text("multi-byte around a change", "€".repeat(200) + "a" + "€".repeat(200), "€".repeat(200) + "€" + "€".repeat(200)));

    assertThat(NpmFossil.failures(cases)).isEmpty();
  }

  @Test
  void theDeltaOfUtf8TextIsUtf8TextItself() {
    Random r = new Random(4);
    for (int i = 0; i < 300; i++) {
      String before = dashboard(r).encode();
      String after = i % 2 == 0 ? edited(before, r) : oneNumberChanged(new JsonObject(before), r).encode();
      byte[] delta = FossilDelta.encode(before.getBytes(StandardCharsets.UTF_8), after.getBytes(StandardCharsets.UTF_8));
      assertThat(validUtf8(delta)).as("delta %d is valid UTF-8", i).isTrue();
      assertThat(FossilDelta.encode(before, after).getBytes(StandardCharsets.UTF_8)).isEqualTo(delta);
    }
  }

  @Test
  void oneNumberChangedInFiveKilobytesIsADeltaOfAFewDozenBytes() {
    Random r = new Random(5);
    for (int i = 0; i < 50; i++) {
      String before = dashboard(r).encode();
      String after = oneNumberChanged(new JsonObject(before), r).encode();
      assertThat(before.length()).isBetween(4000, 7000);
      assertThat(FossilDelta.encode(before, after).length()).as(FossilDelta.encode(before, after)).isLessThan(50);
    }
  }

  @Test
  void aCorruptedDeltaFailsTheChecksumOfAnIndependentDecoder() throws Exception {
    Random r = new Random(6);
    String before = dashboard(r).encode();
    String after = oneNumberChanged(new JsonObject(before), r).encode();
    String delta = FossilDelta.encode(before, after);
    // the new number travels as an insert of digits: change one of them
    int colon = delta.indexOf(':');
    char digit = delta.charAt(colon + 1);
    String corrupted = delta.substring(0, colon + 1) + (digit == '9' ? '8' : (char) (digit + 1)) + delta.substring(colon + 2);
    List<String> failures = NpmFossil.failures(List.of(NpmFossil.Case.of("corrupted", before, corrupted, after)));
    assertThat(failures).singleElement().asString().contains("bad checksum");
  }

  private static NpmFossil.Case text(String name, String before, String after) {
    return NpmFossil.Case.of(name, before, FossilDelta.encode(before, after), after);
  }

  /** Random inserts, deletes and replacements, on whole characters (code points). */
  private static String edited(String s, Random r) {
    List<Integer> cps = new ArrayList<>(s.codePoints().boxed().toList());
    int edits = 1 + r.nextInt(8);
    for (int i = 0; i < edits; i++) {
      int at = cps.isEmpty() ? 0 : r.nextInt(cps.size());
      int cut = switch (r.nextInt(3)) {
        case 0 -> 0;
        case 1 -> r.nextInt(200);
        default -> r.nextInt(20);
      };
      cps.subList(at, Math.min(cps.size(), at + cut)).clear();
      if (cut == 0 || r.nextBoolean()) {
        cps.addAll(at, WORDS[r.nextInt(WORDS.length)].codePoints().boxed().toList());
      }
    }
    StringBuilder b = new StringBuilder();
    cps.forEach(b::appendCodePoint);
    return b.toString();
  }

  private static byte[] editedBytes(byte[] before, Random r) {
    byte[] b = Arrays.copyOf(before, before.length);
    int edits = r.nextInt(6);
    for (int i = 0; i < edits; i++) {
      int at = b.length == 0 ? 0 : r.nextInt(b.length);
      byte[] insert = new byte[r.nextInt(64)];
      r.nextBytes(insert);
      int cut = Math.min(b.length - at, r.nextInt(100));
      byte[] next = new byte[b.length - cut + insert.length];
      System.arraycopy(b, 0, next, 0, at);
      System.arraycopy(insert, 0, next, at, insert.length);
      System.arraycopy(b, at + cut, next, at + insert.length, b.length - at - cut);
      b = next;
    }
    return b;
  }

  private static boolean validUtf8(byte[] b) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
