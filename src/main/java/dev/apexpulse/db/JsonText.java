package dev.apexpulse.db;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/** Checks that text is exactly one JSON value (the publisher trusts JSON text it is given). */
final class JsonText {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonText() {}

  /** Null when the text is one valid JSON value, else what is wrong. */
  static String problem(String text) {
    if (text == null || text.isBlank()) {
      return "payload is empty";
    }
    try (JsonParser p = FACTORY.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return "payload is empty";
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        return "payload has more after the JSON value at " + location(p);
      }
      return null;
    } catch (JsonProcessingException e) {
      return "payload is not JSON: " + e.getOriginalMessage() + " at " + location(e);
    } catch (IOException e) {
      return "payload is not JSON: " + e.getMessage();
    }
  }

  private static String location(JsonParser p) {
    return "line " + p.currentLocation().getLineNr() + " column " + p.currentLocation().getColumnNr();
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null ? "?" : "line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr();
  }
}
