#!/usr/bin/env bash
# The benchmark in one command: builds what is missing, then measures the gateway and the bare
# Vert.x baseline (each in its own process) under the same load generator, and prints a table
# and one JSON line (also written to target/bench/). Not a test: CI only runs --smoke.
#
#   bash loadtest/bench/run.sh              # full run (~10 min on 2 cores)
#   bash loadtest/bench/run.sh --smoke      # seconds: proves the harness works end to end
#   bash loadtest/bench/run.sh --cluster    # also 3 clustered nodes (pending until clustering lands)
#   options: --only gateway|baseline  --scenarios 1k,10k-1,10k  --step-seconds 5  --rates-1k 25,50,…
#            --rates-10k-1 4,8,…  --subs-10k-1 10000  --rates-10k 250,…
#            --subs-1k 1000  --subs-10k 10000  --channels-10k 1000  --mem-conns 19500
#            --moderate-rate 100  --client-threads 2  --server-jvm "-Xms64m -Xmx2g -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20"  --no-jfr  --mem-only
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MVN="${MVN:-mvn}"
GATEWAY_JAR="$ROOT/target/apex-pulse.jar"
BENCH_JAR="$HERE/target/pulse-bench.jar"

if [ ! -f "$GATEWAY_JAR" ]; then
  echo "bench: building the gateway jar" >&2
  "$MVN" -B -q -f "$ROOT/pom.xml" package -DskipTests
fi
if [ ! -f "$BENCH_JAR" ] || [ -n "$(find "$HERE/src" "$HERE/pom.xml" -newer "$BENCH_JAR" -type f 2>/dev/null | head -1)" ]; then
  echo "bench: building the load generator" >&2
  "$MVN" -B -q -f "$HERE/pom.xml" package
fi

# the generator holds every client socket: as many file descriptors as allowed (20,000 here)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "bench: file descriptors per process: $(ulimit -n)"

exec java -Xms256m -Xmx2g -cp "$BENCH_JAR" dev.apexpulse.bench.Bench \
  --gateway-jar "$GATEWAY_JAR" --out "$ROOT/target/bench" "$@"
