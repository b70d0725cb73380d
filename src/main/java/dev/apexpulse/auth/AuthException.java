package dev.apexpulse.auth;

/** A credential was refused; the message is safe to show to the client (it never echoes the token). */
public final class AuthException extends RuntimeException {
  public AuthException(String message) {
    super(message, null, false, false);
  }
}
