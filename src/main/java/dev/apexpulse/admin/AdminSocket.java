package dev.apexpulse.admin;

import io.vertx.core.Context;

import java.util.function.Consumer;

/** A console socket subscribed to the console feed: frames are written on its own event loop. */
public final class AdminSocket {
  private final String id;
  private final Context context;
  private final Consumer<String> sender;
  private volatile boolean detached;

  public AdminSocket(String id, Context context, Consumer<String> sender) {
    this.id = id;
    this.context = context;
    this.sender = sender;
  }

  public String id() {
    return id;
  }

  void detached() {
    detached = true;
  }

  boolean isDetached() {
    return detached;
  }

  /** Writes a text frame (from any thread; dropped when the socket closed meanwhile). */
  public void push(String frame) {
    context.runOnContext(v -> sender.accept(frame));
  }
}
