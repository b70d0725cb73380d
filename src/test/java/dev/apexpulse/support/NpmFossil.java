package dev.apexpulse.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Applies Fossil deltas with the npm package {@code fossil-delta} (a dev dependency of apex/js, installed
 * by Maven before the Java tests): an implementation independent of the gateway's encoder.
 */
public final class NpmFossil {
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Path MODULE = Path.of("apex/js/node_modules/fossil-delta/fossil-delta.js");
  private static final String SCRIPT = """
      const fs = require('node:fs');
      const { pathToFileURL } = require('node:url');
      import(pathToFileURL(process.argv[1]).href).then(({ applyDelta }) => {
        const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
        const bad = [];
        for (const c of cases) {
          try {
            const out = Buffer.from(applyDelta(Buffer.from(c.source, 'base64'), Buffer.from(c.delta, 'base64')));
            if (!out.equals(Buffer.from(c.target, 'base64'))) bad.push(c.name + ': applied, but not to the target');
          } catch (e) {
            bad.push(c.name + ': ' + e.message);
          }
        }
        console.log(JSON.stringify({ checked: cases.length, bad }));
      });
      """;

  /** One delta to check: applied to {@code source} it must give {@code target}. */
  public record Case(String name, byte[] source, byte[] delta, byte[] target) {
    public static Case of(String name, String source, String delta, String target) {
      return new Case(name, source.getBytes(StandardCharsets.UTF_8), delta.getBytes(StandardCharsets.UTF_8),
          target.getBytes(StandardCharsets.UTF_8));
    }
  }

  private NpmFossil() {}

  /**
   * Applies every case's delta with fossil-delta (which verifies the checksum) and answers what went
   * wrong, one line per failed case: empty when all gave their target.
   */
  public static List<String> failures(List<Case> cases) throws Exception {
    if (!Files.isRegularFile(MODULE)) {
      throw new AssertionError(MODULE + " is missing: run npm ci in apex/js (mvn does it before the tests)");
    }
    JsonArray json = new JsonArray();
    for (Case c : cases) {
      json.add(new JsonObject().put("name", c.name()).put("source", B64.encodeToString(c.source()))
          .put("delta", B64.encodeToString(c.delta())).put("target", B64.encodeToString(c.target())));
    }
    Path file = Files.createTempFile("fossil-cases", ".json");
    try {
      Files.writeString(file, json.encode());
      Process p = new ProcessBuilder("node", "-e", SCRIPT, MODULE.toAbsolutePath().toString(), file.toString())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("node did not finish: " + out);
      }
      if (p.exitValue() != 0) {
        throw new AssertionError("node failed: " + out);
      }
      JsonObject result = new JsonObject(out.strip());
      if (result.getInteger("checked") != cases.size()) {
        throw new AssertionError("node checked " + result.getInteger("checked") + " of " + cases.size());
      }
      List<String> bad = new ArrayList<>();
      result.getJsonArray("bad").forEach(b -> bad.add((String) b));
      return bad;
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
