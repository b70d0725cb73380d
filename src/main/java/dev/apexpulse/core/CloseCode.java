package dev.apexpulse.core;

/** WebSocket close codes the server uses (RFC 6455 and the IANA registry). */
public final class CloseCode {
  public static final short GOING_AWAY = 1001;
  public static final short INVALID_PAYLOAD = 1007;
  public static final short POLICY = 1008;
  public static final short TOO_BIG = 1009;
  public static final short SERVER_ERROR = 1011;
  public static final short RESTARTING = 1012;
  public static final short TRY_AGAIN_LATER = 1013;

  private CloseCode() {}
}
