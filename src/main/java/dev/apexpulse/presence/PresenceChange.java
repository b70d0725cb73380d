package dev.apexpulse.presence;

/** Whether a join or leave changed the set of users in the channel (for join/leave events). */
public enum PresenceChange {
  /** the user's first connection joined, or their last one left */
  USER_CHANGED,
  /** another connection of a user already present, or an anonymous one */
  UNCHANGED
}
