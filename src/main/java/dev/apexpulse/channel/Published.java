package dev.apexpulse.channel;

import dev.apexpulse.core.ChannelKey;
import dev.apexpulse.core.Message;

/**
 * What a publish answers: the channel, and the offset and epoch its message got in history; on an
 * ephemeral channel, which stores nothing, {@link Message#NO_OFFSET} and an empty epoch. A repeat of an
 * idempotent publish answers the first one's.
 */
public record Published(ChannelKey key, long offset, String epoch) {

  public static Published of(Message m) {
    return new Published(m.key(), m.offset(), m.epoch());
  }

  /** False on an ephemeral channel: the answer then carries no offset. */
  public boolean stored() {
    return offset != Message.NO_OFFSET;
  }
}
