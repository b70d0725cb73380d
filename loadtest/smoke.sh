#!/usr/bin/env bash
# CI smoke of the load tests: starts the gateway jar (built by `mvn package`) on a free loopback
# port, runs every Gatling simulation with tens of users for a few seconds against it, then the
# benchmark's smoke mode. Fails (exit 1, loudly) when a simulation's assertions fail or the bench
# smoke fails. The gateway is always stopped. Run by the root build in the integration-test phase
# (skipped with -DskipTests); by hand: bash loadtest/smoke.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
JAR="$ROOT/target/apex-pulse.jar"
OUT="$ROOT/target/loadtest-smoke"
MVN="${MVN:-mvn}"
SIMULATIONS="${SMOKE_SIMULATIONS:-ConnectStorm DashboardFanout ChatRooms ReconnectStorm SseFanout}"
started=$(date +%s)

if [ ! -f "$JAR" ]; then
  echo "loadtest smoke: $JAR is missing (run mvn package first)" >&2
  exit 1
fi
mkdir -p "$OUT"

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}

PORT=$(free_port)
SECRET="smoke-secret-$(date +%s%N)-0123456789abcdef"
API_KEY="smoke-api-key-$(date +%s%N)"
BASE="http://127.0.0.1:$PORT"

echo "== loadtest smoke: gateway on $BASE (log: $OUT/gateway.log)"
PULSE_MODE=production PULSE_APP_100_SECRET="$SECRET" PULSE_APP_100_API_KEY="$API_KEY" \
  PULSE_HTTP_PORT="$PORT" PULSE_HTTP_HOST=127.0.0.1 PULSE_HTTP_DEMO=false \
  java -Xmx512m -jar "$JAR" > "$OUT/gateway.log" 2>&1 &
GATEWAY=$!
stop_gateway() {
  if kill -0 "$GATEWAY" 2>/dev/null; then
    kill "$GATEWAY" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$GATEWAY" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$GATEWAY" 2>/dev/null || true
  fi
  wait "$GATEWAY" 2>/dev/null || true
}
trap stop_gateway EXIT

for i in $(seq 1 300); do
  if curl -fsS "$BASE/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$GATEWAY" 2>/dev/null; then
    echo "loadtest smoke: the gateway died at start:" >&2
    tail -30 "$OUT/gateway.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -fsS "$BASE/health/ready" >/dev/null || { echo "loadtest smoke: gateway not ready after 60 s" >&2; exit 1; }

failed=()
for sim in $SIMULATIONS; do
  echo "== loadtest smoke: $sim"
  t0=$(date +%s)
  # smoke sizes: tens of users, seconds; no failed request (lost message, timeout, error) allowed;
  # p99 only catches stalls: CI machines are shared, a starved JVM makes latency meaningless here
  if "$MVN" -B -q -f loadtest/pom.xml gatling:test -Dgatling.noReports=true \
      -Dgatling.simulationClass="dev.apexpulse.loadtest.$sim" \
      -DbaseUrl="$BASE" -Dsecret="$SECRET" -DapiKey="$API_KEY" \
      -Dusers=30 -Dramp=2 -Dduration=5 -Dchannels=5 -Drate=5 -DchatEvery=1 -DpingEvery=2 \
      -DholdMax=2 -Ddowntime=0.5 -DmaxFailedPct=0 -Dp99Ms=10000 \
      > "$OUT/$sim.log" 2>&1; then
    echo "   passed in $(( $(date +%s) - t0 )) s: $(grep -h -E '^[A-Za-z]+: verified users|^Global: 99th' "$OUT/$sim.log" | tr '\n' ' ')"
  else
    failed+=("$sim")
    echo "!! $sim FAILED (full log: $OUT/$sim.log):" >&2
    grep -E '^\[|KO|Global:|jsonPath|status|ERROR' "$OUT/$sim.log" | grep -v '^\[#' | head -40 >&2 || tail -40 "$OUT/$sim.log" >&2
  fi
done

stop_gateway
trap - EXIT

if [ "${SMOKE_BENCH:-true}" = "true" ]; then
  echo "== loadtest smoke: benchmark (smoke mode)"
  if bash loadtest/bench/run.sh --smoke > "$OUT/bench.log" 2>&1; then
    tail -n 25 "$OUT/bench.log"
  else
    failed+=("bench")
    echo "!! bench smoke FAILED (full log: $OUT/bench.log):" >&2
    tail -40 "$OUT/bench.log" >&2
  fi
fi

echo "== loadtest smoke took $(( $(date +%s) - started )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "!!!!!!!! LOAD TEST SMOKE FAILED: ${failed[*]} !!!!!!!!" >&2
  exit 1
fi
echo "loadtest smoke: all passed"
