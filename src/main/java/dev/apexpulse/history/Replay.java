package dev.apexpulse.history;

import dev.apexpulse.core.Message;

import java.util.List;

/**
 * The answer to a recovery request: when {@code recovered}, {@code messages} are exactly those after
 * the requested offset up to {@code position}, in order; otherwise the client must reload.
 */
public record Replay(boolean recovered, Position position, List<Message> messages) {}
