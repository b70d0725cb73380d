package dev.apexpulse.bench;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Forces a full GC in a server under test and reads its live heap: jcmd for a JVM, POST /gc for Node. */
interface HeapProbe {
  /** A full GC (twice for a settled heap), then a moment for the heap to shrink. */
  void fullGc(ServerProcess p, boolean twice) throws Exception;

  /** Live heap right after a full GC, with what it is made of when the runtime can tell. */
  Histogram liveHeap(ServerProcess p) throws Exception;

  HeapProbe JVM = new HeapProbe() {
    @Override
    public void fullGc(ServerProcess p, boolean twice) throws Exception {
      p.jcmd("GC.run");
      Thread.sleep(500);
      if (twice) {
        p.jcmd("GC.run");
        Thread.sleep(500);
      }
    }

    @Override
    public Histogram liveHeap(ServerProcess p) throws Exception {
      return Histogram.parse(p.jcmd("GC.class_histogram")); // the histogram forces a full GC
    }
  };

  /** ws-broadcast.js runs two major GCs per POST /gc and answers with process.memoryUsage(). */
  HeapProbe NODE = new HeapProbe() {
    private static final Pattern FIELD = Pattern.compile("\"(heapUsed|external)\":(\\d+)");

    @Override
    public void fullGc(ServerProcess p, boolean twice) throws Exception {
      gc(p);
      Thread.sleep(500);
    }

    @Override
    public Histogram liveHeap(ServerProcess p) throws Exception {
      // V8 heap plus memory held outside it by heap objects (Buffers): what the connections keep alive
      Matcher m = FIELD.matcher(gc(p));
      long total = 0;
      while (m.find()) {
        total += Long.parseLong(m.group(2));
      }
      return new Histogram(total, Map.of());
    }

    private String gc(ServerProcess p) throws Exception {
      HttpResponse<String> r = ServerProcess.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port + "/gc"))
          .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(p.name + ": POST /gc answered " + r.statusCode() + ": " + r.body());
      }
      return r.body();
    }
  };
}
