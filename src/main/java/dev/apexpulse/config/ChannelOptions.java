package dev.apexpulse.config;

import io.vertx.core.json.JsonObject;

/**
 * What one channel does besides delivering messages: the options of the first pattern of
 * {@code apps.<id>.channels} that matches it, else the app's defaults (the global {@code history:},
 * presence on, join/leave events as {@code apps.<id>.presenceEvents}, deltas as {@code apps.<id>.delta}).
 *
 * @param cache             a subscriber gets the channel's latest message right after {@code subscribed}
 * @param ephemeral         no history: messages have no offset, nothing is stored, nothing recovered
 * @param historySize       messages history keeps (0: none, only as the global default or when ephemeral)
 * @param historyTtlSeconds how long history keeps each message
 * @param presence          whether clients may ask who is subscribed ({@code false}: {@code forbidden})
 * @param joinLeave         whether subscribers get {@code join}/{@code leave} events
 * @param delta             whether subscribers that ask get Fossil deltas against the previous message
 *                          ({@code delta: fossil}; the app's {@code delta} by default)
 */
public record ChannelOptions(boolean cache, boolean ephemeral, int historySize, int historyTtlSeconds,
                             boolean presence, boolean joinLeave, boolean delta) {

  /** The options as the API and the console show them. */
  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("cache", cache).put("ephemeral", ephemeral);
    if (!ephemeral) {
      o.put("history", new JsonObject().put("size", historySize).put("ttlSeconds", historyTtlSeconds));
    }
    return o.put("presence", presence).put("joinLeave", joinLeave).put("delta", delta ? "fossil" : "none");
  }
}
