package dev.apexpulse.transport;

import io.vertx.core.buffer.Buffer;

/**
 * The protocol side of one connection, fed by its transport: an app session or an operator console
 * session. Called on the connection's event loop only.
 */
public interface Endpoint {

  /** A complete text message from the client, valid UTF-8. */
  void onText(String text);

  /** A complete binary message from the client. */
  void onBinary(Buffer data);

  /** The transport is gone (the client closed, the network failed): release everything. */
  void onClosed();

  /** Closes from the server side: drops the endpoint's state, then closes the transport with the code. */
  void close(short code, String reason);

  /** This connection as the console lists it. */
  ConnectionInfo info();
}
