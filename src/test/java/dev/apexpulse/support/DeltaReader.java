package dev.apexpulse.support;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a client of a delta subscription has seen, read as the protocol says (docs/PROTOCOL.md, Delta
 * compression): the data text of each full message cut from its frame, and each delta with the text it
 * applies to, for {@link NpmFossil} to check against what was published.
 */
public final class DeltaReader {
  private final Map<Long, String> texts = new HashMap<>();
  public final List<NpmFossil.Case> deltas = new ArrayList<>();
  /** "full" or "delta", per message read. */
  public final List<String> kinds = new ArrayList<>();

  /** Reads one message frame of {@code c} (which keeps texts); {@code published}: offset → data text. */
  public void read(WsClient c, JsonObject f, Map<Long, String> published) {
    long offset = f.getLong("offset");
    String expected = published.get(offset);
    assertThat(expected).as("offset %d was published", offset).isNotNull();
    if (f.containsKey("delta")) {
      assertThat(f.containsKey("data")).isFalse();
      assertThat(texts).as("a delta follows the previous offset").containsKey(offset - 1);
      deltas.add(NpmFossil.Case.of("offset " + offset, texts.get(offset - 1), f.getString("delta"), expected));
      kinds.add("delta");
    } else {
      assertThat(dataText(c.text(f), f.containsKey("from"))).isEqualTo(expected);
      kinds.add("full");
    }
    texts.put(offset, expected);
  }

  public long full() {
    return kinds.stream().filter("full"::equals).count();
  }

  /** Every delta read gives exactly the published data in an independent decoder (npm fossil-delta). */
  public void assertDecodes() throws Exception {
    assertThat(NpmFossil.failures(deltas)).isEmpty();
  }

  /** The data text of a full message frame: from after {@code "data":} to {@code ,"from":} or the closing brace. */
  public static String dataText(String frame, boolean hasFrom) {
    int start = frame.indexOf(",\"data\":") + ",\"data\":".length();
    return frame.substring(start, hasFrom ? frame.lastIndexOf(",\"from\":") : frame.length() - 1);
  }
}
