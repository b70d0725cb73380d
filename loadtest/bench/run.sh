#!/usr/bin/env bash
# The benchmark in one command: builds what is missing, then measures the gateway (on WebSockets, then
# on event streams) and its two baselines, bare Vert.x and Node's ws (each in its own process, one after the other) under the same
# load generator, and prints a table and one JSON line (also written to target/bench/). Not a test:
# CI only runs --smoke.
#
#   bash loadtest/bench/run.sh              # full run (~15 min on 2 cores)
#   bash loadtest/bench/run.sh --smoke      # about a minute: proves the harness works end to end
#   bash loadtest/bench/run.sh --cluster    # also 3 clustered nodes
#   options: --only gateway,gateway-sse,baseline,node-ws  --scenarios 1k,10k-1,10k,storm,users,delta  --step-seconds 5
#            --rates-1k 25,50,…  --rates-10k-1 4,8,…  --subs-10k-1 10000  --rates-10k 250,…
#            --subs-1k 1000  --subs-10k 10000  --channels-10k 1000  --mem-conns 19500
#            --storm-conns 10000  --storm-channels 1000  --storm-replay 5  --storm-in-flight 1000
#            --users-conns 5000  --users-rate 10  --delta-pushes 200
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

# the Node ws baseline: its one dependency, pinned by the committed package-lock.json
NODE_WS="$HERE/node/ws-broadcast.js"
if [ ! -d "$HERE/node/node_modules/ws" ]; then
  echo "bench: installing the Node ws baseline (npm ci)" >&2
  (cd "$HERE/node" && npm ci --no-audit --no-fund --loglevel=error) \
    || echo "bench: npm ci failed: the Node ws baseline will be skipped" >&2
fi

# the generator holds every client socket: as many file descriptors as allowed (20,000 here)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "bench: file descriptors per process: $(ulimit -n)"

exec java -Xms256m -Xmx2g -cp "$BENCH_JAR" dev.apexpulse.bench.Bench \
  --gateway-jar "$GATEWAY_JAR" --node-ws "$NODE_WS" --out "$ROOT/target/bench" "$@"
