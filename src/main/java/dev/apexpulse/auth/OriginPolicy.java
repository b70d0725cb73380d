package dev.apexpulse.auth;

import java.util.List;

/**
 * Decides whether a browser page from an Origin may open a socket for an app. Browsers apply no CORS
 * to WebSockets, so without this check any site could ride a user's token (cross-site WebSocket
 * hijacking). Entries: {@code *}, {@code https://host}, {@code https://host:8443} or
 * {@code http://host:*} (any port). Requests without an Origin (non-browser clients) are allowed:
 * they cannot carry a victim's ambient credentials.
 */
public final class OriginPolicy {
  private OriginPolicy() {}

  public static boolean allowed(List<String> allowList, String origin) {
    if (origin == null) {
      return true;
    }
    String o = origin.toLowerCase();
    for (String entry : allowList) {
      String e = entry.toLowerCase();
      if (e.equals("*") || e.equals(o)) {
        return true;
      }
      if (e.endsWith(":*")) {
        String base = e.substring(0, e.length() - 2);
        if (o.equals(base) || (o.startsWith(base + ":") && o.substring(base.length() + 1).matches("\\d{1,5}"))) {
          return true;
        }
      }
    }
    return false;
  }
}
