package dev.apexpulse.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** The soak, short ({@code -Dsoak.ci.seconds}, default 40): no heap growth trend, no client problem. */
@Timeout(180)
class SoakTest {

  @Test
  void steadyConnectionsChurnAndPublishesShowNoHeapGrowth() throws Exception {
    long seconds = Long.getLong("soak.ci.seconds", 40);
    Soak.Result r = new Soak(new Soak.Plan(seconds, 200, 40, 3, 5, 100, 4)).run(System.out);
    assertThat(r.problems()).as("client problems: %s", r.firstProblems()).isZero();
    assertThat(r.samples().size()).isGreaterThanOrEqualTo(6);
    long[] thirds = r.thirds();
    System.out.printf("soak (CI): heap after GC, first third %d MB, last third %d MB%n", thirds[0] >> 20, thirds[1] >> 20);
    assertThat(thirds[1] - thirds[0]).as("growth of heap after GC").isLessThan(Soak.margin(thirds[0]));
    assertThat(r.heapAfterAllLeft()).as("heap after GC once every client left").isLessThan(r.warm().heapAfterGc() + Soak.margin(thirds[0]));
    assertThat(r.end().rings()).as("history rings: at most one per channel published to").isLessThanOrEqualTo(40);
  }
}
